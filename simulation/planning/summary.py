"""Everything the planning view and the report draw, for one ward or the city, and the ward
choropleth of one metric."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from simulation.planning._areas import CITY_CODE, resolve_ward
from simulation.planning._assets import asset_layers
from simulation.planning._json import plain, records
from simulation.planning.energy import EnergyResult, lighting_energy
from simulation.planning.renewal import renewal, renewal_cost_by_ward
from simulation.planning.rollups import age_profile, inventory, materials
from simulation.planning.settings import METRICS, parameters, unit_costs
from simulation.planning.targets import programme_targets
from twin.city import BAC_GIANG
from twin.errors import InvalidInput


@dataclass(frozen=True)
class PlanningSummary:
    """The planning figures of one area (``area``: level, code, name): the roll-ups' rows for
    it, its lighting energy, renewal for the next 10 years, programme targets, and the unit
    costs and parameters they were computed with."""

    area: dict[str, str]
    inventory: pd.DataFrame
    age_profile: pd.DataFrame
    materials: pd.DataFrame
    renewal: pd.DataFrame
    energy: EnergyResult
    targets: pd.DataFrame
    unit_costs: pd.DataFrame
    parameters: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        return {"area": self.area, "inventory": records(self.inventory),
                "age_profile": records(self.age_profile), "materials": records(self.materials),
                "renewal": records(self.renewal), "energy": self.energy.to_json(),
                "targets": records(self.targets), "unit_costs": records(self.unit_costs),
                "parameters": records(self.parameters)}


def planning_summary(conn: Connection, ward: str | None = None,
                     year: int | None = None) -> PlanningSummary:
    """The summary of ``ward`` (GSO code or name) or, without one, of the city."""
    if ward is None:
        area = {"level": "city", "code": CITY_CODE, "name": BAC_GIANG.name}
        level, code = "city", None
    else:
        found = resolve_ward(conn, ward)
        area = {"level": "ward", "code": found.code, "name": found.name}
        level, code = "ward", found.code
    return PlanningSummary(
        area=area, inventory=inventory(conn, level, code),
        age_profile=age_profile(conn, level, code), materials=materials(conn, level, code),
        renewal=renewal(conn, level, code, from_year=year),
        energy=lighting_energy(conn, year=year, ward=code),
        targets=programme_targets(conn, level, code), unit_costs=unit_costs(conn),
        parameters=parameters(conn))


def choropleth_metrics() -> list[str]:
    return [*(f"count:{s.name}" for s in asset_layers()), "renewal_cost", "kwh", *METRICS]


def _values(conn: Connection, metric: str, year: int | None) -> pd.DataFrame:
    """area_code, value (and target) per ward for ``metric``."""
    if metric.startswith("count:"):
        layer = metric.removeprefix("count:")
        rows = inventory(conn, "ward")
        rows = rows[rows["layer"] == layer]
        return rows.assign(value=rows["count"].astype(float))[["area_code", "value"]]
    if metric == "renewal_cost":
        return renewal_cost_by_ward(conn, from_year=year).rename(
            columns={"cost_vnd": "value"})[["area_code", "value"]]
    if metric == "kwh":
        rows = lighting_energy(conn, year=year).by_ward
        rows = rows[rows["area_level"] == "ward"]
        return rows.rename(columns={"kwh": "value"})[["area_code", "value"]]
    rows = programme_targets(conn, "ward")
    rows = rows[rows["metric"] == metric]
    return rows[["area_code", "value", "target"]]


def choropleth(conn: Connection, metric: str, year: int | None = None) -> dict[str, Any]:
    """The wards as a GeoJSON FeatureCollection (EPSG:4326) with ``{code, name, value,
    target}`` for ``metric`` (``choropleth_metrics()``)."""
    if metric not in choropleth_metrics():
        raise InvalidInput(f"unknown metric '{metric}'; metrics: "
                           f"{', '.join(choropleth_metrics())}")
    values = _values(conn, metric, year).set_index("area_code")
    shapes = conn.execute(text("SELECT id, name, ST_AsGeoJSON(geom, 7) FROM wards ORDER BY id"))
    features = []
    for code, name, geometry in shapes:
        value = values["value"].get(code)
        target = values["target"].get(code) if "target" in values else None
        features.append({"type": "Feature", "id": code, "geometry": json.loads(geometry),
                         "properties": {"code": code, "name": name, "value": plain(value),
                                        "target": plain(target)}})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"metric": metric, "year": year}}
