"""Planning reports a planner can hand on: one ward or the whole city as HTML (one
self-contained page), PDF (that page printed by WeasyPrint) or XLSX (a sheet per table, native
charts), with tables, charts and a map drawn from the twin's own data.

``build_report(conn, ward, fmt)`` gathers the figures (``simulation.planning``) and renders them;
``twin report`` and ``GET /api/planning/report`` both use it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from sqlalchemy import Connection

from simulation.planning._areas import plain
from twin.errors import InvalidInput
from web.report.contents import Area, ReportData
from web.report.gather import gather

Format = Literal["pdf", "xlsx", "html"]
FORMATS: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
"""Each format and its media type."""

__all__ = ["FORMATS", "Area", "Format", "ReportData", "build_report", "check_format",
           "file_name", "gather", "render"]


def check_format(fmt: str) -> Format:
    """``fmt`` if the report can be written in it, else ``InvalidInput`` naming the choices."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown report format '{fmt}': use one of {', '.join(FORMATS)}")
    return fmt  # type: ignore[return-value]


def render(data: ReportData, fmt: str) -> bytes:
    """The report's file in ``fmt`` (pdf, xlsx or html)."""
    fmt = check_format(fmt)
    if fmt == "pdf":
        from web.report.pdf import render_pdf

        return render_pdf(data)
    if fmt == "xlsx":
        from web.report.xlsx import render_xlsx

        return render_xlsx(data)
    from web.report.html import render_html

    return render_html(data).encode("utf-8")


def build_report(conn: Connection, ward: str | None, fmt: str, *, year: int | None = None,
                 what_ifs: bool = True, step: Callable[[str], None] = lambda _: None) -> bytes:
    """Gather the figures of ``ward`` (None: the city) and render them in ``fmt``; ``step`` is
    called after each stage (progress bars). Bad format or unknown ward: ``InvalidInput``
    before any work."""
    check_format(fmt)
    data = gather(conn, ward, year=year, what_ifs=what_ifs, step=step)
    body = render(data, fmt)
    step(fmt)
    return body


def file_name(area: Area, fmt: str) -> str:
    """A file name for the report of an area: ``planning-report-07201-tran-phu.pdf``."""
    slug = "-".join(re.findall(r"[a-z0-9]+", plain(area.name))) or "city"
    prefix = f"{area.code}-" if area.code else ""
    return f"planning-report-{prefix}{slug}.{fmt}"
