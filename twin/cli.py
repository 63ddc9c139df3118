"""The ``twin`` command. The one module that reaches into every package; each command parses its
arguments, delegates, and prints. Errors are one line (what and why), detail below when any."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import sqlalchemy as sa
import typer

from twin.cluster import ClusterError, EmbeddedCluster
from twin.commands import broker, lighting, live, network_simulation, report, web
from twin.commands import planning as planning_commands
from twin.commands import users as users_commands
from twin.config import Settings
from twin.database import DatabaseError, open_twin
from twin.errors import TwinError
from twin.progress import console

app = typer.Typer(help="Urban Twin: the city's infrastructure in PostGIS.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The embedded PostgreSQL + PostGIS cluster.", no_args_is_help=True)
import_app = typer.Typer(help="Import data into the twin (all or nothing).", no_args_is_help=True)
simulate_app = typer.Typer(help="What happens if: outage, isolation, criticality, street lighting.",
                           no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(simulate_app, name="simulate")
simulate_app.add_typer(network_simulation.app)
simulate_app.add_typer(lighting.app)
app.add_typer(live.app)
app.add_typer(web.app)
app.add_typer(users_commands.app)  # twin users ..., twin devices ...
app.add_typer(broker.app)
app.add_typer(report.app)
app.add_typer(planning_commands.app)  # twin planning ...


def say_error(message: str, detail: str | None = None) -> None:
    """One line that says what went wrong, then the detail (indented, dim) when there is any."""
    first, *rest = message.strip().splitlines() or [""]
    console.print(f"[bold red]error:[/] {first}", highlight=False, soft_wrap=True)
    for line in [*rest, *(detail.splitlines() if detail else [])]:
        console.print(f"  [dim]{line.strip()}[/]", highlight=False, soft_wrap=True)


def fail(message: str, detail: str | None = None) -> NoReturn:
    say_error(message, detail)
    raise typer.Exit(1)


def main() -> None:
    """Run the app, turning the twin's own errors and the database's into one clear line."""
    try:
        app(standalone_mode=True)
    except (TwinError, ClusterError, DatabaseError) as exc:
        say_error(str(exc))
        sys.exit(1)
    except sa.exc.DBAPIError as exc:
        say_error(f"the database refused the change: {exc.orig or exc}", "nothing was written")
        sys.exit(1)
    except OSError as exc:  # a file or folder the command was given cannot be used
        say_error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        sys.exit(1)


# -- the embedded cluster ---------------------------------------------------------------------
def _cluster() -> EmbeddedCluster:
    settings = Settings()
    if settings.database_url:
        fail("TWIN_DATABASE_URL is set: the twin uses that server, not its embedded cluster")
    return settings.cluster()


@db_app.command("status")
def db_status() -> None:
    """Say whether the embedded cluster is initialised and running, and where."""
    print(_cluster().status())


@db_app.command("start")
def db_start() -> None:
    """Initialise (first time) and start the embedded cluster, then migrate the schema."""
    open_twin(Settings()).dispose()
    print(_cluster().status())


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster cleanly."""
    cluster = _cluster()
    cluster.stop()
    print(cluster.status())


@db_app.command("url")
def db_url() -> None:
    """Print the connection URL of the twin's database (starting the embedded cluster if needed)."""
    from twin.database import database_url

    print(database_url(Settings()))


# -- data in and out --------------------------------------------------------------------------
@app.command()
def demo(
    scale: Annotated[float, typer.Option(min=0.01, max=5, help="City area; 1 = the full city "
                                         "(~20 km², ~200,000 assets), 0.05 a small test city")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (the city is deterministic)")] = 7,
    replace: Annotated[bool, typer.Option(help="Replace a twin that holds non-demo data")] = False,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build only")] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve the map on")] = 8000,
) -> None:
    """Build the synthetic demo city of Bắc Giang (deterministic for a seed and scale), then
    serve the 3D map and APIs at http://localhost:PORT/ (unless --no-serve)."""
    from ingest.demo import load_demo_city

    if not no_serve:
        from web.server import check_port_free

        check_port_free("127.0.0.1", port)  # before building, not after
    settings = Settings()
    engine = open_twin(settings)
    written = load_demo_city(engine, scale=scale, seed=seed, replace=replace,
                             shared_data=settings.shared_data_dir())
    console.print(f"demo city built: {sum(written.values()):,} rows in {len(written)} tables")
    from twin.commands.users import announce_demo_admin, record_demo_build

    record_demo_build(engine, scale=scale, seed=seed, replace=replace, written=written)
    announce_demo_admin(engine)  # generated and shown once, when the twin has no admin yet
    engine.dispose()
    if not no_serve:
        from web.server import serve_twin

        serve_twin("127.0.0.1", port)


@import_app.command("osm")
def import_osm(path: Annotated[Path, typer.Argument(help=".osm.pbf or .osm file")]) -> None:
    """Import roads, buildings, trees, street lamps, power, cabinets, pipelines, hydrants and
    surveillance cameras from OpenStreetMap."""
    from ingest.osm import import_osm_file
    from twin.audit import cli_actor, import_recorder

    audit = import_recorder(cli_actor(), "osm", path.name, {})
    _print_written(import_osm_file(open_twin(Settings()), path, on_written=audit))


@import_app.command("file")
def import_file(
    path: Annotated[Path, typer.Argument(help="GeoPackage, Shapefile, GeoJSON or CSV")],
    layer: Annotated[str, typer.Option(help="Layer to import into, as in 'twin stats'")],
    crs: Annotated[str | None, typer.Option(help="CRS of the file's coordinates, e.g. EPSG:9214")]
    = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="column=field renames")] = None,
    file_layer: Annotated[str | None, typer.Option(help="Layer inside a GeoPackage")] = None,
) -> None:
    """Import a GIS file into one layer, in any CRS pyproj knows."""
    from ingest.files import import_gis_file, parse_mapping
    from twin.audit import cli_actor, import_recorder

    options = {"layer": layer, "crs": crs, "map": map_, "file_layer": file_layer}
    audit = import_recorder(cli_actor(), "file", path.name, options)
    _print_written(import_gis_file(open_twin(Settings()), path, layer=layer, crs=crs,
                                   mapping=parse_mapping(map_ or []), file_layer=file_layer,
                                   on_written=audit))


@import_app.command("epanet")
def import_epanet(
    path: Annotated[Path, typer.Argument(help="EPANET .inp file")],
    crs: Annotated[str | None, typer.Option(help="CRS of [COORDINATES]; without it they are "
                                            "taken as metres around the city centre")] = None,
) -> None:
    """Import an EPANET model into the water network."""
    from ingest.epanet import import_epanet_file
    from twin.audit import cli_actor, import_recorder

    audit = import_recorder(cli_actor(), "epanet", path.name, {"crs": crs})
    _print_written(import_epanet_file(open_twin(Settings()), path, crs=crs, on_written=audit))


@app.command()
def export(
    layer: Annotated[str, typer.Argument(help="Layer name, as in 'twin stats'")],
    path: Annotated[Path, typer.Argument(help=".gpkg or .geojson file to write")],
) -> None:
    """Export one layer to GeoPackage or GeoJSON (EPSG:4326)."""
    from twin.export import export_layer

    rows = export_layer(open_twin(Settings()), layer, path)
    console.print(f"wrote {rows:,} {layer} to {path}")


def _print_written(written: dict[str, int]) -> None:
    for table, rows in written.items():
        console.print(f"  {table}: {rows:,}")
    console.print(f"imported {sum(written.values()):,} rows")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Count every layer's assets and every network's nodes and edges."""
    from twin.stats import twin_stats

    engine = open_twin(Settings())
    with engine.connect() as conn:
        figures = twin_stats(conn)
    if as_json:
        print(json.dumps(figures, indent=1))
        return
    from rich.table import Table

    table = Table("layer", "rows", title="The twin")
    for name, count in figures["layers"].items():
        table.add_row(name, f"{count:,}")
    table.add_row("[bold]assets in all", f"[bold]{figures['assets']:,}")
    for network, counts in figures["networks"].items():
        table.add_row(f"{network} network", f"{counts['nodes']:,} nodes, {counts['edges']:,} edges")
    live = figures["live"]
    table.add_row("live state", f"{live['observations']:,} observations, {live['dead_letters']:,} "
                  f"dead letters, {live['open_incidents']:,} open incidents")
    console.print(table)


if __name__ == "__main__":
    main()
