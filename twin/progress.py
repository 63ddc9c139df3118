"""Rich progress bars for long work (imports, the demo city, simulations), and notes told after."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console(stderr=True)

Report = Callable[[str, int], None]
"""Called with (table name, rows written) as each table is written: drives progress bars."""


@contextmanager
def step_progress(title: str, steps: int) -> Iterator[Callable[[str], None]]:
    """A bar over ``steps`` steps; the yielded function advances it, showing the step's label."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"), TimeElapsedColumn(), console=console,
    ) as bar:
        task = bar.add_task(title, total=steps, last="")
        yield lambda label: bar.update(task, advance=1, last=label)


@contextmanager
def table_progress(title: str, tables: int) -> Iterator[Report]:
    """A bar over ``tables`` tables; the yielded report advances it with (table, rows)."""
    with step_progress(title, tables) as step:
        yield lambda table, rows: step(f"{table}: {rows:,} rows")


def tell_notes(notes: Iterable[str]) -> None:
    """What the user should know about a finished job (what a source held that was left out)."""
    for note in notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
