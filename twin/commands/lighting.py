"""twin simulate lighting."""

import typer

app = typer.Typer()
