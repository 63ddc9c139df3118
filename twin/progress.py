"""Rich progress bars for long work (imports, the demo city, simulations)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)

Report = Callable[[str, int], None]
"""Called with (table name, rows written) as each table is written: drives progress bars."""


@contextmanager
def table_progress(title: str, tables: int) -> Iterator[Report]:
    """A bar over ``tables`` steps; the yielded report advances it with (table, rows)."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task(title, total=tables, last="")

        def report(table: str, rows: int) -> None:
            bar.update(task, advance=1, last=f"{table}: {rows:,} rows")

        yield report
