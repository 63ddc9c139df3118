"""twin report: the planning report of a ward or the whole city as PDF, XLSX or HTML, with a
progress bar while it is built. Errors are one line: an unknown ward (with close names), a format
the report has not, a file that cannot be written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()

STEPS = 5
"""Planning figures, lighting what-ifs, map, rendering, file written."""


def _check_output(output: Path) -> None:
    """Refuse, before any work, a file the report could not be written to."""
    from twin.errors import InvalidInput

    folder = output.parent
    if not folder.is_dir():
        raise InvalidInput(f"cannot write the report to '{output}': folder '{folder}' does not exist")
    if output.is_dir():
        raise InvalidInput(f"cannot write the report to '{output}': it is a folder")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise InvalidInput(f"cannot write the report to '{output}': permission denied")


@app.command("report")
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    ward: Annotated[str | None, typer.Option(help="Ward: GSO code or name (accents and case "
                                             "ignored); default: the whole city")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="pdf, xlsx or html; default: the "
                                            "output file's extension")] = None,
    year: Annotated[int | None, typer.Option(min=1900, max=2200, help="Year the renewal plan "
                                             "starts and the lighting energy is for "
                                             "(default: this year)")] = None,
    what_ifs: Annotated[bool, typer.Option(help="Compute the lighting what-ifs (dimming after "
                                           "midnight, LED retrofit) with their lighting check")]
    = True,
) -> None:
    """Write the planning report of a ward (or the city): inventory, condition, age, materials,
    renewal backlog and cost by year, lighting energy and what-ifs, programme targets, a map,
    and the assumptions behind them."""
    from simulation.planning import resolve_ward
    from twin.config import Settings
    from twin.database import open_twin
    from twin.errors import InvalidInput
    from twin.progress import console, step_progress
    from web.report import build_report, check_format

    if fmt is None and not output.suffix:
        raise InvalidInput(f"name the format: --format pdf, xlsx or html ('{output}' has no "
                           "extension)")
    chosen = check_format((fmt or output.suffix.lstrip(".")).lower())
    _check_output(output)
    engine = open_twin(Settings())
    with engine.connect() as conn:
        code = resolve_ward(conn, ward).code if ward is not None else None  # before the bar
        with step_progress(f"Report ({chosen})", STEPS) as step:
            body = build_report(conn, code, chosen, year=year, what_ifs=what_ifs, step=step)
            partial = output.with_name(f".{output.name}.partial")
            partial.write_bytes(body)
            partial.replace(output)
            step(str(output))
    engine.dispose()
    console.print(f"wrote {output} ({len(body) / 1024:,.0f} KiB)")
