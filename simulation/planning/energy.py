"""Lighting energy and emissions by ward and city: each luminaire's wattage × the full-output
hours its dimming schedule is equivalent to over the year's nights (sunset to sunrise at the
city), × the tariff and the grid emission factor (``planning_parameters``).
See docs/planning.md, "Lighting energy"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from simulation.planning._areas import AREA_COLUMNS, resolve_ward
from simulation.planning._assets import current_year
from simulation.planning._json import records
from simulation.planning.rollups import area_rows, grouped
from simulation.planning.schedules import (
    SCHEDULES,
    burning_hours,
    equivalent_hours,
    nights,
)
from simulation.planning.settings import parameter, parameters

FIGURES = ["luminaires", "installed_kw", "kwh", "cost_vnd", "co2_kg"]

_LAMPS = """
SELECT 'luminaires'::text AS layer, l.ward_code, w.district_code, l.wattage_w,
       l.dimming_profile, h.hours
FROM luminaires l
LEFT JOIN wards w ON w.id = l.ward_code
LEFT JOIN unnest(CAST(:profiles AS text[]), CAST(:hours AS float8[])) AS h(profile, hours)
       ON h.profile = coalesce(l.dimming_profile, 'none')"""
_AGGREGATES = """count(*) AS luminaires, coalesce(sum(wattage_w), 0) / 1000.0 AS installed_kw,
coalesce(sum(coalesce(wattage_w, 0) * coalesce(hours, :full_hours)), 0) / 1000.0 AS kwh,
count(*) FILTER (WHERE wattage_w IS NULL) AS missing_wattage,
array_remove(array_agg(DISTINCT CASE WHEN hours IS NULL THEN dimming_profile END), NULL)
    AS unknown_profiles"""
"""Each luminaire's wattage × its profile's full-output hours (an unknown profile: full output
all night), summed per area by ``rollups.grouped``."""


def _lamps_sql(ward_filter: bool) -> str:
    return _LAMPS + (" WHERE l.ward_code = :ward" if ward_filter else "")


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


def _by_area(conn: Connection, levels: Sequence[str], ward_code: str | None, year: int,
             hours: dict[str, float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The areas of ``levels`` (the city last) with luminaires, installed_kw, kwh, cost_vnd and
    co2_kg of ``year``, and the query's own rows (with missing_wattage, unknown_profiles)."""
    figures = grouped(conn, _AGGREGATES, levels, ward_code, source=_lamps_sql, params={
        "profiles": list(hours), "hours": list(hours.values()),
        "full_hours": burning_hours(year)}).drop(columns="layer")
    skeleton = area_rows(conn, levels, ward_code, figures)
    skeleton = skeleton.sort_values("area_level", key=lambda s: s == "city", kind="stable")
    out = skeleton.merge(figures.drop(columns=["missing_wattage", "unknown_profiles"]),
                         on=["area_level", "area_code"], how="left")
    out[["luminaires", "installed_kw", "kwh"]] = \
        out[["luminaires", "installed_kw", "kwh"]].astype("float64").fillna(0.0)
    out["luminaires"] = out["luminaires"].astype("int64")
    tariff, co2 = parameter(conn, "tariff_vnd_per_kwh"), parameter(conn, "co2_kg_per_kwh")
    out = priced(out, tariff, co2)[[*AREA_COLUMNS, *FIGURES]].reset_index(drop=True)
    return out, figures


def energy_by_area(conn: Connection, level: str = "ward", ward: str | None = None,
                   year: int | None = None, *, levels: Sequence[str] | None = None
                   ) -> pd.DataFrame:
    """Annual lighting energy of ``year`` per area of ``level`` (as the other roll-ups: one
    ``GROUPING SETS`` query): area columns, luminaires, installed_kw, kwh, cost_vnd (VND),
    co2_kg."""
    year = year or current_year()
    ward_code = resolve_ward(conn, ward).code if ward is not None else None
    return _by_area(conn, list(levels or [level]), ward_code, year, profile_hours(year))[0]


def lighting_energy(conn: Connection, year: int | None = None, ward: str | None = None,
                    what_if: Any = None) -> EnergyResult:
    """Annual kWh, cost (VND) and CO₂ (kg) of the street lighting per ward and for the city;
    with ``what_if`` (an ``EnergyWhatIf``) the same after it, checked against the lighting
    calculation. The lamps with no wattage and the unknown profiles are those of ``ward``
    (or of the city)."""
    year = year or current_year()
    hours = profile_hours(year)
    ward_code = resolve_ward(conn, ward).code if ward is not None else None
    by_ward, figures = _by_area(conn, ["ward", "city"], ward_code, year, hours)
    own = figures[figures["area_level"] == ("ward" if ward_code else "city")]
    missing = int(own["missing_wattage"].sum())
    unknown = sorted({p for ps in own["unknown_profiles"] for p in (ps or [])})
    result = EnergyResult(year, burning_hours(year), by_ward, energy_parameters(conn), missing,
                          unknown)
    if what_if is None:
        return result
    from simulation.planning.what_if import apply_what_if

    tariff, co2 = parameter(conn, "tariff_vnd_per_kwh"), parameter(conn, "co2_kg_per_kwh")
    return apply_what_if(conn, result, what_if, hours, tariff, co2)
