"""The report as PDF: the HTML page printed by WeasyPrint (pango lays out the text, so
Vietnamese names come out right), A4 with page numbers."""

from __future__ import annotations

from web.report.contents import ReportData
from web.report.html import render_html


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes."""
    import weasyprint  # imported here: it loads pango when imported

    return weasyprint.HTML(string=render_html(data)).write_pdf()  # type: ignore[no-any-return]
