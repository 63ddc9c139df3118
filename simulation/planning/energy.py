"""Lighting energy and emissions by ward and city: each luminaire's wattage × the full-output
hours its dimming schedule is equivalent to over the year's nights (sunset to sunrise at the
city), × the tariff and the grid emission factor (``planning_parameters``).
See docs/planning.md, "Lighting energy"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from simulation.planning._areas import AREA_COLUMNS, areas, resolve_ward
from simulation.planning._assets import current_year
from simulation.planning._json import records
from simulation.planning.rollups import area_rows, no_jit
from simulation.planning.schedules import (
    SCHEDULES,
    burning_hours,
    equivalent_hours,
    nights,
)
from simulation.planning.settings import parameter, parameters

FIGURES = ["luminaires", "installed_kw", "kwh", "cost_vnd", "co2_kg"]

_BY_WARD = """
SELECT CASE WHEN GROUPING(l.ward_code) = 0 THEN 'ward' ELSE 'city' END AS area_level,
       CASE WHEN GROUPING(l.ward_code) = 0 THEN coalesce(l.ward_code, 'none') ELSE 'city' END
           AS area_code,
       count(*) AS luminaires, coalesce(sum(l.wattage_w), 0) / 1000.0 AS installed_kw,
       coalesce(sum(coalesce(l.wattage_w, 0) * coalesce(h.hours, :full_hours)), 0) / 1000.0
           AS kwh,
       count(*) FILTER (WHERE l.wattage_w IS NULL) AS missing_wattage,
       array_remove(array_agg(DISTINCT CASE WHEN h.hours IS NULL THEN l.dimming_profile END),
                    NULL) AS unknown_profiles
FROM luminaires l
LEFT JOIN unnest(CAST(:profiles AS text[]), CAST(:hours AS float8[])) AS h(profile, hours)
       ON h.profile = coalesce(l.dimming_profile, 'none')
GROUP BY GROUPING SETS ((l.ward_code), ())
"""


@dataclass(frozen=True)
class EnergyResult:
    """Annual lighting energy of ``year``: ``by_ward`` (area_level, area_code, area_name,
    luminaires, installed_kw, kwh, cost_vnd, co2_kg; every ward and the city), the year's
    sunset-to-sunrise ``burning_h``, the ``parameters`` used, and the ``what_if`` answer."""

    year: int
    burning_h: float
    by_ward: pd.DataFrame
    parameters: dict[str, Any]
    missing_wattage: int = 0
    unknown_profiles: list[str] = field(default_factory=list)
    what_if: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "burning_h": round(self.burning_h, 2),
                "by_ward": records(self.by_ward), "parameters": self.parameters,
                "missing_wattage": self.missing_wattage,
                "unknown_profiles": self.unknown_profiles, "what_if": self.what_if}


def profile_hours(year: int) -> dict[str, float]:
    """Full-output-equivalent hours of each named profile over ``year``'s nights."""
    night_list = nights(year)
    return {name: equivalent_hours(schedule, night_list) for name, schedule in SCHEDULES.items()}


def energy_parameters(conn: Connection) -> dict[str, Any]:
    """Tariff and emission factor with their assumption flags and notes."""
    rows = parameters(conn).set_index("name")
    return {name: {"value": float(row["value"]), "unit": row["unit"],
                   "assumption": bool(row["assumption"]), "note": row["note"]}
            for name, row in rows.iterrows()}


def priced(frame: pd.DataFrame, tariff: float, co2: float) -> pd.DataFrame:
    """``frame`` with cost_vnd and co2_kg from its kwh."""
    return frame.assign(cost_vnd=frame["kwh"] * tariff, co2_kg=frame["kwh"] * co2)


def lighting_energy(conn: Connection, year: int | None = None, ward: str | None = None,
                    what_if: Any = None) -> EnergyResult:
    """Annual kWh, cost (VND) and CO₂ (kg) of the street lighting per ward and for the city;
    with ``what_if`` (an ``EnergyWhatIf``) the same after it, checked against the lighting
    calculation."""
    year = year or current_year()
    hours = profile_hours(year)
    ward_code = resolve_ward(conn, ward).code if ward is not None else None
    full = burning_hours(year)
    no_jit(conn)
    figures = pd.read_sql(text(_BY_WARD), conn, params={
        "profiles": list(hours), "hours": list(hours.values()), "full_hours": full})
    city_row = figures[figures["area_level"] == "city"]
    missing = int(city_row["missing_wattage"].sum())
    unknown = sorted({p for ps in city_row["unknown_profiles"] for p in (ps or [])})
    skeleton = pd.concat([area_rows(conn, ["ward"], ward_code, figures), areas(conn, "city")],
                         ignore_index=True)
    by_ward = skeleton.merge(figures.drop(columns=["missing_wattage", "unknown_profiles"]),
                             on=["area_level", "area_code"], how="left")
    by_ward[["luminaires", "installed_kw", "kwh"]] = \
        by_ward[["luminaires", "installed_kw", "kwh"]].astype("float64").fillna(0.0)
    by_ward["luminaires"] = by_ward["luminaires"].astype("int64")
    tariff, co2 = parameter(conn, "tariff_vnd_per_kwh"), parameter(conn, "co2_kg_per_kwh")
    by_ward = priced(by_ward, tariff, co2)[[*AREA_COLUMNS, *FIGURES]]
    result = EnergyResult(year, full, by_ward, energy_parameters(conn), missing, unknown)
    if what_if is None:
        return result
    from simulation.planning.what_if import apply_what_if

    return apply_what_if(conn, result, what_if, hours, tariff, co2)
