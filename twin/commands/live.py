"""twin ingest mqtt, twin feed and the incident commands."""

import typer

app = typer.Typer()
