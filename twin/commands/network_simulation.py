"""twin simulate outage | isolate | criticality."""

import typer

app = typer.Typer()
