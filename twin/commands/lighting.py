"""twin simulate lighting: street-lighting coverage (EN 13201) over the twin's lit roads, with
failed and dimmed luminaires from the live state or the command line; progress on stderr and,
with ``--json``, one JSON document on stdout. Every run is stored as a scenario (kind
"lighting"), under ``--save NAME`` or a name with the time of the run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer()


@app.command("lighting")
def lighting(
    bbox: Annotated[str | None, typer.Option(help="Area: min lon,min lat,max lon,max lat "
                                             "(EPSG:4326)")] = None,
    at: Annotated[str | None, typer.Option(help="Time of night HH:MM: dimming profiles' "
                                           "output then (default: full output)")] = None,
    fail: Annotated[list[str] | None, typer.Option(help="Luminaire that fails; repeat for "
                                                   "several: roads show before and after")] = None,
    raster: Annotated[Path | None, typer.Option(help="Write the illuminance as a "
                                                "Cloud-Optimised GeoTIFF (EPSG:9214)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    save: Annotated[str | None, typer.Option(help="Name of the stored scenario")] = None,
    no_live: Annotated[bool, typer.Option("--no-live", help="Ignore the live state's failed "
                                          "and dimmed luminaires")] = False,
    no_trees: Annotated[bool, typer.Option("--no-trees", help="Leave out the trees' shade")]
    = False,
) -> None:
    """Illuminance on every lit road (Eav, Emin, U0, EN 13201-2 class), dark spots, and the
    trees that cost each street its light."""
    from simulation.lighting import Options, run_lighting
    from simulation.lighting.dimming import parse_hour
    from twin.config import Settings
    from twin.database import open_twin
    from twin.errors import InvalidInput
    from twin.progress import console, step_progress
    from twin.scenarios import save_scenario

    area = _bbox(bbox) if bbox else None
    hour = parse_hour(at) if at else None
    if raster is not None and raster.suffix.lower() not in (".tif", ".tiff"):
        raise InvalidInput(f"the raster is a GeoTIFF: give a .tif file name, not '{raster}'")
    engine = open_twin(Settings())
    steps = 3 + bool(fail) + (raster is not None) + 1
    with step_progress("Street lighting", steps) as step:
        result = run_lighting(engine, bbox=area, at=hour, fail=fail or (), live=not no_live,
                              options=Options(trees=not no_trees), progress=step)
        if raster is not None:
            result.write_raster(raster)
            step(f"raster {raster}")
        data = result.to_json()
        name = save or f"lighting {datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f} UTC"
        save_scenario(engine, name, "lighting", result.parameters, data)
        step(f"saved as '{name}'")
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    roads = result.roads
    classes = roads["class"].fillna("none").value_counts().sort_index()
    console.print(f"{len(roads):,} lit roads; Eav median {roads['eav'].median():.1f} lx; "
                  f"classes: " + ", ".join(f"{k} {v}" for k, v in classes.items()))
    console.print(f"{len(result.dark_spots):,} dark spots; "
                  f"{len(result.pruning):,} tree-road shade pairs (worst first in the JSON)")


def _bbox(text: str) -> tuple[float, float, float, float]:
    from twin.errors import InvalidInput

    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise InvalidInput(f"--bbox must be four numbers min lon,min lat,max lon,max lat; "
                           f"got '{text}'")
    return values  # type: ignore[return-value]
