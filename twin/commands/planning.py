"""twin planning ...: the planning roll-ups in the terminal (tables, or JSON with --json), and
the unit costs, targets and parameters they use; every change is audited as ``cli:<os user>``.
See docs/planning.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from sqlalchemy import Connection, Engine

from twin.progress import console

planning_app = typer.Typer(help="Planning roll-ups by ward, district and city, unit costs, "
                                "targets (docs/planning.md).", no_args_is_help=True)
app = typer.Typer()
app.add_typer(planning_app, name="planning")

Level = Annotated[str, typer.Option(help="ward, district or city")]
WardOption = Annotated[str | None, typer.Option(help="a ward: GSO code or name (accents "
                                                     "and case ignored)")]
AsJson = Annotated[bool, typer.Option("--json", help="print JSON records instead of a table")]


def _engine() -> Engine:
    from twin.config import Settings
    from twin.database import open_twin

    return open_twin(Settings())


def _print(frame: pd.DataFrame, title: str, as_json: bool) -> None:
    from simulation.planning._json import records

    if as_json:
        print(json.dumps(records(frame), ensure_ascii=False, indent=1))
        return
    if "area_level" in frame and frame["area_level"].nunique() == 1:
        frame = frame.drop(columns="area_level")  # the level is the table's title
    table = Table(*frame.columns, title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None or (isinstance(v, float) and pd.isna(v))
                        else f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row))
    console.print(table)


def _read(figure: Callable[[Connection], Any]) -> Any:
    engine = _engine()
    with engine.connect() as conn:
        result = figure(conn)
    engine.dispose()
    return result


@planning_app.command("show")
def show(
    figure: Annotated[str, typer.Argument(help="inventory, age-profile, materials, renewal, "
                                               "targets or energy")],
    level: Level = "ward", ward: WardOption = None,
    year: Annotated[int | None, typer.Option(min=1900, max=2200, help="renewal: first year; "
                                             "energy: the year")] = None,
    as_json: AsJson = False,
) -> None:
    """Print one roll-up of the wards, the districts or the city."""
    from simulation import planning
    from twin.errors import InvalidInput

    figures: dict[str, Callable[[Connection], pd.DataFrame]] = {
        "inventory": lambda c: planning.inventory(c, level, ward),
        "age-profile": lambda c: planning.age_profile(c, level, ward),
        "materials": lambda c: planning.materials(c, level, ward),
        "renewal": lambda c: planning.renewal(c, level, ward, from_year=year),
        "targets": lambda c: planning.programme_targets(c, level, ward),
        "energy": lambda c: planning.energy_by_area(c, level, ward, year),
    }
    if figure not in figures:
        raise InvalidInput(f"unknown figure '{figure}'; figures: {', '.join(figures)}")
    _print(_read(figures[figure]), f"{figure} ({level})", as_json)


@planning_app.command("costs")
def costs(as_json: AsJson = False) -> None:
    """Print the unit costs (VND) and service lives renewal is planned with."""
    from simulation.planning import unit_costs

    _print(_read(unit_costs), "unit costs", as_json)


def _write(change: Callable[[Connection, str], dict[str, Any]], what: str) -> None:
    from twin.audit import cli_actor

    engine = _engine()
    with engine.begin() as conn:
        row = change(conn, cli_actor())
    engine.dispose()
    console.print(f"{what}: " + ", ".join(f"{k}={v}" for k, v in row.items() if k != "note"))


@planning_app.command("set-cost")
def set_cost(
    layer: Annotated[str, typer.Argument(help="asset layer, e.g. water_pipes")],
    material: Annotated[str, typer.Argument(help="material (the layer's material column), "
                                                 "or * for any")],
    cost: Annotated[float | None, typer.Option(help="VND per unit: the row's unit (m, m2, "
                                                  "m_per_100mm or each)")] = None,
    life: Annotated[int | None, typer.Option(help="service life in years (trees: the "
                                                  "inspection interval)")] = None,
) -> None:
    """Set a unit cost and/or service life (no longer an assumption)."""
    from simulation.planning import set_unit_cost

    _write(lambda c, actor: set_unit_cost(c, layer, material, cost_vnd=cost,
                                          service_life_y=life, actor=actor), "unit cost")


@planning_app.command("set-target")
def set_target(
    metric: Annotated[str, typer.Argument(help="fibre_households, fibre_groups, "
                                               "camera_junctions or lamps_working")],
    target: Annotated[float, typer.Argument(help="share 0..1")],
) -> None:
    """Set a programme target."""
    from simulation.planning import set_target as set_

    _write(lambda c, actor: set_(c, metric, target, actor=actor), "target")


@planning_app.command("set-parameter")
def set_parameter(
    name: Annotated[str, typer.Argument(help="tariff_vnd_per_kwh or co2_kg_per_kwh")],
    value: Annotated[float, typer.Argument(help="the value, in the parameter's unit")],
) -> None:
    """Set the electricity tariff or the grid emission factor."""
    from simulation.planning import set_parameter as set_

    _write(lambda c, actor: set_(c, name, value, actor=actor), "parameter")
