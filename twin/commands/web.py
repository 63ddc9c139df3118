"""twin serve and twin export-html."""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface)")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes, each with its "
                                         "own tile cache and live stream; 1 serves a team")] = 1,
    proxy_headers: Annotated[bool, typer.Option(help="Take the scheme and client address from "
                                                "X-Forwarded-Proto/-For sent by a trusted proxy")]
    = True,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="Proxies trusted for forwarded headers: addresses or networks, comma-separated, "
             "'*' for any [default: $FORWARDED_ALLOW_IPS, else 127.0.0.1]")] = None,
) -> None:
    """Serve the twin: the 3D map, OGC API Features and Tiles, the app API (Ctrl-C stops)."""
    from web.server import serve_twin

    serve_twin(host, port, workers, proxy_headers=proxy_headers,
               forwarded_allow_ips=forwarded_allow_ips)


@app.command("export-html")
def export_html_command(
    path: Annotated[Path, typer.Argument(help=".html file to write")],
    layer: Annotated[list[str] | None, typer.Option(
        "--layer", help="Layer to draw (repeat); default: those the map shows on opening")] = None,
    bbox: Annotated[str | None, typer.Option(
        help="min lon,min lat,max lon,max lat (EPSG:4326); default: the whole twin")] = None,
    underground: Annotated[bool, typer.Option(help="Draw pipes and cables at their depths")] = False,
) -> None:
    """Write a standalone 3D map (pydeck) of the twin that opens offline."""
    from twin.config import Settings
    from twin.database import open_twin
    from twin.errors import InvalidInput
    from twin.progress import console, step_progress
    from web.export_html import export_html
    from web.pydeck_layers import map_layers

    box = None
    if bbox is not None:
        try:
            box = [float(v) for v in bbox.split(",")]
        except ValueError:
            raise InvalidInput(f"--bbox must be four numbers separated by commas; got '{bbox}'") from None
    names = map_layers(layer)
    with step_progress("Drawing the map", len(names) + 1) as step:
        written = export_html(open_twin(Settings()), path, names, bbox=box, underground=underground,
                              step=step)
    console.print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
