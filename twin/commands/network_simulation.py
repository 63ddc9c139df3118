"""twin simulate outage | isolate | criticality | trace: the network simulations of
:mod:`simulation` over the twin's networks and live state, with progress bars on stderr and, with
``--json``, one JSON document on stdout."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from simulation.snapshot import Snapshot

app = typer.Typer()
Step = Callable[[str], None]

JSON = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document")]
SAVE = Annotated[str | None, typer.Option(help="Store the result as a named scenario")]
NO_LIVE = Annotated[bool, typer.Option("--no-live", help="Ignore the live device states "
                                       "(start from the normal state)")]


@contextmanager
def _snapshot(title: str, extra_steps: int, live: bool) -> Iterator[tuple[Any, Snapshot, Step]]:
    """The twin's engine, its snapshot, and a progress bar's step function with ``extra_steps``
    steps left after loading."""
    from simulation.snapshot import SNAPSHOT_STEPS, load_snapshot
    from twin.config import Settings
    from twin.database import open_twin
    from twin.progress import step_progress

    engine = open_twin(Settings())
    with step_progress(title, SNAPSHOT_STEPS + extra_steps) as step:
        yield engine, load_snapshot(engine, live=live, step=step), step


def _save(engine: Any, name: str | None, kind: str, parameters: dict[str, Any],
          result: dict[str, Any], step: Step) -> None:
    if name:
        from twin.scenarios import save_scenario

        save_scenario(engine, name, kind, parameters, result)
        step(f"saved as '{name}'")


@app.command("outage")
def outage(
    asset: Annotated[list[str], typer.Option("--asset", help="Asset (or topology) id that "
                                             "fails; repeat for several")],
    as_json: JSON = False, save: SAVE = None, no_live: NO_LIVE = False,
) -> None:
    """What fails, when and for whom if these assets fail: every layer, customers, the street
    length affected, the devices to operate and the cascade across networks on a timeline."""
    with _snapshot("Outage", 1 + bool(save), not no_live) as (engine, snapshot, step):
        data = snapshot.outage(asset).to_json()
        step("outage and cascade")
        _save(engine, save, "outage", {"assets": asset, "live": not no_live}, data, step)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        _print_outage(data)


@app.command("isolate")
def isolate(
    asset: Annotated[str, typer.Option("--asset", help="Pipe (or other element) to isolate")],
    as_json: JSON = False, save: SAVE = None, no_live: NO_LIVE = False,
) -> None:
    """The valves to close (or switches to open) to isolate a break, what that leaves without
    service, and the ties that restore the rest within capacity."""
    with _snapshot("Isolation", 1 + bool(save), not no_live) as (engine, snapshot, step):
        data = snapshot.isolate(asset).to_json()
        step("isolation")
        _save(engine, save, "isolation", {"asset": asset, "live": not no_live}, data, step)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    from twin.progress import console

    if not data["isolable"]:
        console.print(f"[bold red]{asset} cannot be isolated:[/] no valve or switch bounds it")
    for action in data["operate"]:
        console.print(f"{action['action']} {action['asset_id']}")
    if data["already_shut"]:
        console.print(f"already shut: {', '.join(data['already_shut'])}")
    _print_outage(data)


@app.command("criticality")
def criticality(
    network: Annotated[str, typer.Option(help="power, water, telecom, road or drainage")],
    as_json: JSON = False, save: SAVE = None,
    top: Annotated[int, typer.Option(min=1, help="Rows shown (the JSON holds every element)")]
    = 20,
) -> None:
    """Rank every element of a network by what it takes down alone (one pass, not one trace
    per element)."""
    from simulation.criticality import network_criticality

    with _snapshot("Criticality", 3 + bool(save), True) as (engine, snapshot, step):
        result = network_criticality(snapshot, network, step=step)
        data = result.to_json()
        _save(engine, save, "criticality", {"network": network}, data, step)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    from rich.table import Table

    from twin.progress import console

    table = Table("rank", "asset", "layer", "customers", "nodes lost", "dependants / m",
                  title=f"Criticality of the {network} network ({result.method})")
    for k, row in enumerate(result.ranking[:top], 1):
        other = (f"{row['street_length_m']:,.0f} m" if "street_length_m" in row else
                 ", ".join(f"{k} {v:,}" for k, v in row["dependants"].items()))
        table.add_row(str(k), row["asset_id"], row["layer"], f"{row['customers']:,}",
                      f"{row['nodes_lost']:,}", str(other))
    console.print(table)


@app.command("trace")
def trace(
    network: Annotated[str, typer.Option(help="power, water, drainage, telecom or road")],
    start: Annotated[str, typer.Option(help="Asset or topology id to trace from")],
    direction: Annotated[str, typer.Option(help="connected, upstream, downstream or "
                                           "subnetwork")] = "downstream",
    as_json: JSON = False,
) -> None:
    """Trace a network from an element, respecting switch and valve states."""
    with _snapshot("Trace", 1, True) as (_, snapshot, step):
        result = snapshot.trace(network, start, direction)
        step("trace")
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
        return
    from twin.progress import console

    for layer, ids in result.assets.items():
        console.print(f"{layer}: {len(ids):,}")


def _print_outage(data: dict[str, Any]) -> None:
    """A short human summary of an outage's JSON."""
    from rich.table import Table

    from twin.progress import console

    table = Table("layer", "assets", title="Affected")
    for layer, ids in data["affected"].items():
        table.add_row(layer, f"{len(ids):,}")
    console.print(table)
    console.print(f"customers: {data['customers']:,} "
                  f"({', '.join(f'{k} {v:,}' for k, v in data['customers_by_network'].items() if v)})")
    console.print(f"street length affected: {data['street_length_m']:,.0f} m")
    minutes: dict[int, int] = {}
    for entry in data["timeline"]:
        minutes[entry["minute"]] = minutes.get(entry["minute"], 0) + 1
    for minute, count in sorted(minutes.items()):
        console.print(f"  minute {minute}: {count:,} assets fail")
    for action in data["actions"]:
        console.print(f"  {action['action']} {action['asset_id']}: {action['why']}")
    for refused in data["refused"]:
        console.print(f"  [yellow]not closing {refused['asset_id']}:[/] {refused['reason']}")
