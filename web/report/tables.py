"""The report's tables: which columns each shows, their headers (units in the header, never in
the cells) and how a value is written. One definition for HTML, PDF and XLSX, so the three show
the same figures under the same headings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal, cast

import pandas as pd

from simulation.planning.rollups import AGE_BANDS

Kind = Literal["text", "int", "dec", "money", "millions", "share", "bool"]
"""How a column's values are written: "millions" is an amount in million VND (whole millions
from 10 up, two significant figures below: 0.15, 2.5)."""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "int"


@dataclass(frozen=True)
class TableSpec:
    name: str
    """The table's id in HTML and its sheet name in XLSX (31 characters at most)."""
    title: str
    columns: tuple[Column, ...]


def _cols(*items: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(key, header, cast(Kind, kind)) for key, header, kind in items)


_AREA = ("area_name", "Area", "text")
_LAYER = ("layer_title", "Layer", "text")

INVENTORY = TableSpec("inventory", "Inventory", _cols(
    _AREA, _LAYER, ("count", "Count", "int"), ("length_m", "Length (m)", "int"),
    ("area_m2", "Area (m²)", "int"), ("mean_age_y", "Mean age (years)", "dec"),
    ("good", "Good", "int"), ("fair", "Fair", "int"), ("poor", "Poor", "int"),
    ("failed", "Failed", "int"), ("condition_unknown", "Condition unknown", "int")))
AGE_PROFILE = TableSpec("age_profile", "Age profile", _cols(
    _AREA, _LAYER, ("age_band", "Age band (years)", "text"), ("count", "Count", "int"),
    ("length_m", "Length (m)", "int")))
MATERIALS = TableSpec("materials", "Materials", _cols(
    _AREA, _LAYER, ("material", "Material", "text"), ("count", "Count", "int"),
    ("length_m", "Length (m)", "int")))
RENEWAL = TableSpec("renewal", "Renewal", _cols(
    _AREA, _LAYER, ("material", "Material", "text"), ("due_year", "Due year", "text"),
    ("reason", "Reason", "text"), ("count", "Count", "int"), ("length_m", "Length (m)", "int"),
    ("cost_vnd", "Cost (VND)", "money")))
RENEWAL_BY_YEAR = TableSpec("renewal_by_year", "Renewal cost by year", _cols(
    ("due_year", "Year", "text"), ("count", "Assets", "int"), ("length_m", "Length (m)", "int"),
    ("cost_vnd", "Cost (VND)", "money")))
ENERGY = TableSpec("energy", "Lighting energy", _cols(
    _AREA, ("luminaires", "Luminaires", "int"), ("installed_kw", "Installed (kW)", "dec"),
    ("burning_h", "Burning hours (h/year)", "int"), ("kwh", "Energy (kWh/year)", "int"),
    ("cost_vnd", "Cost (VND/year)", "money"), ("co2_kg", "CO₂ (kg/year)", "int")))
WHAT_IFS = TableSpec("what_ifs", "Lighting what-ifs", _cols(
    ("what_if", "What-if", "text"), ("kwh", "Energy of the area after (kWh/year)", "int"),
    ("area_saved_kwh", "Saved in the area (kWh/year)", "int"),
    ("saved_kwh", "Saved, every lamp changed (kWh/year)", "int"),
    ("saved_vnd", "Saved, every lamp changed (VND/year)", "money"),
    ("saved_co2_kg", "CO₂ saved, every lamp changed (kg/year)", "int"),
    ("capex_vnd", "Investment (VND)", "money"),
    ("capex_in_backlog_vnd", "Of which already in the renewal backlog (VND)", "money"),
    ("payback_years", "Payback (years)", "dec"),
    ("pays_back", "Pays back within the LED's service life", "bool"),
    ("luminaires_changed", "Lamps changed", "int"),
    ("failing_roads", "Streets that would fall below their class (left out)", "int"),
    ("rejected_kwh", "Left out (kWh/year)", "int")))
TARGETS = TableSpec("targets", "Programme targets", _cols(
    _AREA, ("metric_title", "Target", "text"), ("numerator", "Served", "int"),
    ("denominator", "Of", "int"), ("value", "Share", "share"), ("target", "Target share", "share"),
    ("met", "Met", "bool")))
UNIT_COSTS = TableSpec("unit_costs", "Unit costs", _cols(
    _LAYER, ("material", "Material", "text"), ("unit", "Unit", "text"),
    ("cost_vnd", "Cost per unit (VND)", "money"), ("service_life_y", "Service life (years)", "int"),
    ("assumption", "Assumption (not confirmed)", "bool"), ("note", "Note", "text")))
ASSUMPTIONS = TableSpec("assumptions", "Assumptions", _cols(
    ("item", "Item", "text"), ("value", "Value", "text"), ("note", "Note", "text")))

METRIC_TITLES = {
    "fibre_households": "Households served by fibre",
    "fibre_groups": "Villages and residential groups served by fibre",
    "camera_junctions": "Junctions covered by a camera",
    "lamps_working": "Street lamps working",
}


def missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _figure(value: float, decimals: int) -> str:
    """``value`` to ``decimals`` places, thousands separated; a value that would print as 0
    but is not ("< 0.1", "< 1"): a small cost or saving is never shown as none."""
    text = f"{value:,.{decimals}f}"
    if value == 0 or text.strip("-0.,"):
        return text
    least = f"{10 ** -decimals:.{decimals}f}"
    return f"< {least}" if value > 0 else f"> -{least}"


def _millions(value: float) -> str:
    if abs(value) >= 9.5 or value == 0:
        return _figure(value, 0)
    return f"{value:.2g}" if abs(value) >= 0.01 else _figure(value, 2)


def cell_text(value: Any, kind: Kind) -> str:
    """A value as the report writes it: thousands separated, shares in %, '—' when unknown."""
    if missing(value):
        return "—"
    if kind in ("int", "money"):
        return _figure(float(value), 0)
    if kind == "dec":
        return _figure(float(value), 1)
    if kind == "millions":
        return _millions(float(value))
    if kind == "share":
        return f"{float(value) * 100:.1f} %"
    if kind == "bool":
        return "yes" if bool(value) else "no"
    return str(value)


def present_columns(spec: TableSpec, frame: pd.DataFrame) -> list[Column]:
    """The spec's columns the frame has (and, for the area column, only when it names more than
    one area: a ward's own report need not repeat its name on every row)."""
    columns = [c for c in spec.columns if c.key in frame.columns]
    if "area_name" in frame.columns and frame["area_name"].nunique() <= 1:
        columns = [c for c in columns if c.key != "area_name"]
    return columns


def age_table(age_profile: pd.DataFrame) -> tuple[TableSpec, pd.DataFrame]:
    """The age profile as one row per layer, one column per age band (counts)."""
    spec = TableSpec("age_profile", "Age profile (count by age band, years)", _cols(
        _LAYER, *((band, band if band != "unknown" else "Unknown", "int") for band in AGE_BANDS)))
    if age_profile.empty:
        return spec, pd.DataFrame(columns=[c.key for c in spec.columns])
    wide = (age_profile.pivot_table(index="layer_title", columns="age_band", values="count",
                                    aggfunc="sum", sort=False)
            .reindex(columns=list(AGE_BANDS)).fillna(0))
    return spec, wide[wide.sum(axis=1) > 0].reset_index()  # layers the area has
