"""Gathering a report's figures from ``simulation.planning`` (one summary, the lighting
what-ifs, the map and the data's date) into a ``ReportData``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Connection

from simulation.planning._assets import current_year
from simulation.planning.what_if import NOT_LED_SQL
from web.report.area_map import draw_area_map
from web.report.contents import Area, ReportData

Step = Callable[[str], None]

WHAT_IF_LABELS = {
    "dimming": "Dim to 50 % after midnight (midnight-50) where it lowers the lamp's energy",
    "retrofit": "LED retrofit of the lamps that are not LED",
}
PARAMETER_TITLES = {"tariff_vnd_per_kwh": "Electricity tariff (street lighting)",
                    "co2_kg_per_kwh": "Grid emission factor"}
ENERGY_COLUMNS = ["area_level", "area_code", "area_name", "luminaires", "installed_kw",
                  "burning_h", "kwh", "cost_vnd", "co2_kg"]


def data_as_of(conn: Connection) -> datetime | None:
    """When the twin's data last changed (``data_versions``, bumped by every write)."""
    return conn.execute(sa.text("SELECT max(changed_at) FROM data_versions")).scalar()  # type: ignore[no-any-return]


def _district_name(conn: Connection, code: str | None) -> str | None:
    if code is None:
        return None
    return conn.execute(sa.text("SELECT name FROM districts WHERE id = :c"), {"c": code}).scalar()  # type: ignore[no-any-return]


def _energy_rows(by_ward: pd.DataFrame, burning_h: float, code: str | None) -> pd.DataFrame:
    """The area's own row (a ward), or every ward and then the city (the city's report)."""
    rows = by_ward[by_ward["area_code"] == code] if code is not None else pd.concat(
        [by_ward[by_ward["area_level"] != "city"], by_ward[by_ward["area_level"] == "city"]])
    rows = rows.assign(burning_h=burning_h)
    return rows[[c for c in ENERGY_COLUMNS if c in rows.columns]].reset_index(drop=True)


def assumption_rows(parameters: pd.DataFrame) -> pd.DataFrame:
    """The planning parameters (name, value, unit, assumption, note: the tariff, the emission
    factor) as item / value / note rows, the ones still assumed marked so."""
    rows = []
    for r in parameters.to_dict("records"):
        value, note = r["value"], r["note"] or ""
        text = f"{value:,.4g}" if isinstance(value, float) else str(value)
        if r["assumption"] and not note.lower().startswith("assumption"):
            note = f"assumption: {note}" if note else "assumption"
        name = str(r["name"])
        rows.append({"item": PARAMETER_TITLES.get(name, name.replace("_", " ")),
                     "value": f"{text} {r['unit'] or ''}".strip(), "note": note})
    return pd.DataFrame(rows, columns=["item", "value", "note"])


def _area_roads(conn: Connection, code: str | None, only_not_led: bool) -> list[str] | None:
    """The roads lit by the area's lamps (None: every lamp of the city)."""
    if code is None and not only_not_led:
        return None
    query = "SELECT DISTINCT road_id FROM luminaires WHERE road_id IS NOT NULL"
    if code is not None:
        query += " AND ward_code = :code"
    if only_not_led:
        query += f" AND {NOT_LED_SQL}"
    return sorted(conn.execute(sa.text(query + " ORDER BY 1"), {"code": code}).scalars())


def what_if_rows(conn: Connection, code: str | None, year: int | None) -> pd.DataFrame:
    """The lighting what-ifs a planner asks first: dimming after midnight, and an LED retrofit
    of the lamps that are not LED, over the area's lit roads (checked against their class)."""
    from simulation.planning import EnergyWhatIf, lighting_energy

    asks: dict[str, Any] = {}
    roads = _area_roads(conn, code, only_not_led=False)
    if roads is None or roads:
        asks["dimming"] = EnergyWhatIf.model_validate(
            {"dimming_profile": "midnight-50", "dimming_roads": roads, "only_where_lower": True})
    old = _area_roads(conn, code, only_not_led=True)
    if old:
        asks["retrofit"] = EnergyWhatIf.model_validate({"retrofit_roads": old})
    rows = []
    for key, what_if in asks.items():
        energy = lighting_energy(conn, year=year, ward=code, what_if=what_if)
        result = energy.what_if or {}
        before = energy.by_ward[energy.by_ward["area_code"] == (code or "city")]
        after = pd.DataFrame(result.get("after", []))
        area = after[after["area_code"] == (code or "city")] if len(after) else after
        kwh = float(area["kwh"].sum()) if len(area) else None
        rows.append({
            "what_if": WHAT_IF_LABELS[key], "kwh": kwh,
            "area_saved_kwh": float(before["kwh"].sum()) - kwh if kwh is not None else None,
            "saved_kwh": result.get("saved_kwh"), "saved_vnd": result.get("saved_cost_vnd"),
            "saved_co2_kg": result.get("saved_co2_kg"), "capex_vnd": result.get("capex_vnd"),
            "payback_years": result.get("payback_years"),
            "pays_back": result.get("pays_back_within_life"),
            "capex_in_backlog_vnd": result.get("capex_in_backlog_vnd"),
            "luminaires_changed": result.get("luminaires_changed"),
            "failing_roads": len(result.get("failing_roads", [])),
            "rejected_kwh": result.get("rejected_kwh")})
    return pd.DataFrame(rows)


def gather(conn: Connection, ward: str | None, *, year: int | None = None,
           what_ifs: bool = True, step: Step = lambda _: None) -> ReportData:
    """Everything the report of ``ward`` (a GSO code or a name; None: the city) shows.
    An unknown ward raises ``InvalidInput`` naming it (before anything is drawn)."""
    from simulation.planning import planning_summary, resolve_ward

    found = resolve_ward(conn, ward) if ward is not None else None
    code = found.code if found else None
    summary = planning_summary(conn, ward=code, year=year)
    step("planning figures")
    energy = summary.energy
    extras = what_if_rows(conn, code, year) if what_ifs else pd.DataFrame()
    step("lighting what-ifs")
    drawn = draw_area_map(conn, code)
    step("map")
    area = (Area("ward", found.name, found.code, _district_name(conn, found.district_code))
            if found else Area("city", summary.area["name"]))
    return ReportData(
        area=area, inventory=summary.inventory, age_profile=summary.age_profile,
        materials=summary.materials, renewal=summary.renewal,
        energy=_energy_rows(energy.by_ward, energy.burning_h, code),
        targets=summary.targets, unit_costs=summary.unit_costs, what_ifs=extras,
        assumptions=assumption_rows(summary.parameters), data_as_of=data_as_of(conn),
        from_year=year or current_year(),
        map_png=drawn.png, osm_shown=drawn.osm_shown)
