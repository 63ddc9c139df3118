"""twin serve and twin export-html."""

import typer

app = typer.Typer()
