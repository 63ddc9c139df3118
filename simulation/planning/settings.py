"""The editable planning figures: unit costs, programme targets and the energy parameters.
Each write clears the row's ``assumption`` flag and is audited in the caller's transaction."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from layers import LAYERS
from simulation.planning.renewal import cost_key
from simulation.planning.tables import planning_parameters, planning_targets, unit_costs_table
from twin.errors import InvalidInput

METRICS = ("fibre_households", "fibre_groups", "camera_junctions", "lamps_working")


def _audit(conn: Connection, *, actor: str, action: str, table: str, target: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    """Record the write in the audit log (``twin.audit``), in the same transaction."""
    from twin.audit import record

    record(conn, actor=actor, action=action, table=table, target=target, before=before,
           after=after)


def _number(name: str, value: float, low: float, high: float = math.inf,
            open_low: bool = False) -> float:
    number = float(value)
    if not math.isfinite(number) or number < low or (open_low and number == low) or \
            number > high:
        bound = f"> {low:g}" if open_low else f">= {low:g}"
        limit = f" and <= {high:g}" if math.isfinite(high) else ""
        raise InvalidInput(f"{name} must be {bound}{limit}, got {value}")
    return number


def unit_costs(conn: Connection) -> pd.DataFrame:
    """The unit-cost table: layer, material, unit, cost_vnd, service_life_y, assumption,
    note."""
    t = unit_costs_table
    return pd.read_sql(select(t.c.layer, t.c.material, t.c.unit, t.c.cost_vnd,
                              t.c.service_life_y, t.c.assumption, t.c.note)
                       .order_by(t.c.layer, t.c.material), conn)


def set_unit_cost(conn: Connection, layer: str, material: str, *, cost_vnd: float | None = None,
                  service_life_y: int | None = None, actor: str) -> dict[str, Any]:
    """Set a unit cost and/or service life on the row that costs ``material`` as renewal
    matches it (case, spaces and ``MATERIAL_ALIASES`` aside: "uPVC" and "pvc" set the PVC
    row), so that no material has two rows; a new material of a known layer is added, its
    missing figures taken from the layer's ``*`` row. Returns the row."""
    if layer not in LAYERS or not LAYERS[layer].is_asset:
        raise InvalidInput(f"unknown asset layer '{layer}'")
    material = material.strip()
    if not material or len(material) > 100:
        raise InvalidInput("material must be 1..100 characters ('*' for any)")
    if cost_vnd is None and service_life_y is None:
        raise InvalidInput("give cost_vnd or service_life_y")
    changes: dict[str, Any] = {"assumption": False}
    if cost_vnd is not None:
        changes["cost_vnd"] = _number("cost_vnd", cost_vnd, 0)
    if service_life_y is not None:
        life = _number("service_life_y", service_life_y, 0, 500, open_low=True)
        if life != int(life):
            raise InvalidInput(f"service_life_y must be a whole number of years, "
                               f"got {service_life_y}")
        changes["service_life_y"] = int(life)
    t = unit_costs_table
    wanted = cost_key(material)
    row = conn.execute(select(t).where((t.c.layer == layer)
                                       & (func.upper(func.trim(t.c.material)) == wanted))
                       .with_for_update()).mappings().first()
    if row is not None:
        material = row["material"]
    elif wanted != material.upper():
        material = wanted  # an alias: the row it is costed by
    key = (t.c.layer == layer) & (t.c.material == material)
    before = dict(row) if row else None
    if row is None:
        base = conn.execute(select(t).where((t.c.layer == layer) & (t.c.material == "*"))
                            ).mappings().first()
        unit = "m" if LAYERS[layer].geometry_type == "LineString" else "each"
        new = {"layer": layer, "material": material, "unit": base["unit"] if base else unit,
               "cost_vnd": base["cost_vnd"] if base else None,
               "service_life_y": base["service_life_y"] if base else None,
               "note": "entered by the user", **changes}
        if new["cost_vnd"] is None or new["service_life_y"] is None:
            raise InvalidInput(f"a new unit cost for {layer}/{material} needs both cost_vnd "
                               "and service_life_y")
        conn.execute(t.insert().values(**new))
    else:
        conn.execute(t.update().where(key).values(**changes))
    after = dict(conn.execute(select(t).where(key)).mappings().one())
    _audit(conn, actor=actor, action="planning.unit_cost", table="unit_costs",
           target=f"{layer}/{material}", before=before, after=after)
    return after


def target_shares(conn: Connection) -> pd.DataFrame:
    """The programme targets: metric, target, assumption, note."""
    t = planning_targets
    return pd.read_sql(select(t.c.metric, t.c.target, t.c.assumption, t.c.note)
                       .order_by(t.c.metric), conn)


def set_target(conn: Connection, metric: str, target: float, *, actor: str) -> dict[str, Any]:
    """Set the target share (0..1) of a programme metric; returns the row."""
    if metric not in METRICS:
        raise InvalidInput(f"unknown metric '{metric}'; metrics: {', '.join(METRICS)}")
    value = _number("target", target, 0, 1)
    t = planning_targets
    before = conn.execute(select(t).where(t.c.metric == metric).with_for_update()
                          ).mappings().first()
    if before is None:
        conn.execute(t.insert().values(metric=metric, target=value, assumption=False,
                                       note="entered by the user"))
    else:
        conn.execute(t.update().where(t.c.metric == metric)
                     .values(target=value, assumption=False))
    after = dict(conn.execute(select(t).where(t.c.metric == metric)).mappings().one())
    _audit(conn, actor=actor, action="planning.target", table="planning_targets",
           target=metric, before=dict(before) if before else None, after=after)
    return after


def parameters(conn: Connection) -> pd.DataFrame:
    """The energy parameters: name, value, unit, assumption, note."""
    t = planning_parameters
    return pd.read_sql(select(t.c.name, t.c.value, t.c.unit, t.c.assumption, t.c.note)
                       .order_by(t.c.name), conn)


def parameter(conn: Connection, name: str) -> float:
    t = planning_parameters
    value = conn.execute(select(t.c.value).where(t.c.name == name)).scalar()
    if value is None:
        raise InvalidInput(f"planning parameter '{name}' is missing (migration 0007 seeds it)")
    return float(value)


def set_parameter(conn: Connection, name: str, value: float, *, actor: str) -> dict[str, Any]:
    """Set an energy parameter (tariff_vnd_per_kwh, co2_kg_per_kwh); returns the row."""
    t = planning_parameters
    before = conn.execute(select(t).where(t.c.name == name).with_for_update()).mappings().first()
    if before is None:
        known = ", ".join(parameters(conn)["name"])
        raise InvalidInput(f"unknown planning parameter '{name}'; known: {known}")
    conn.execute(t.update().where(t.c.name == name)
                 .values(value=_number(name, value, 0), assumption=False))
    after = dict(conn.execute(select(t).where(t.c.name == name)).mappings().one())
    _audit(conn, actor=actor, action="planning.parameter", table="planning_parameters",
           target=name, before=dict(before), after=after)
    return after
