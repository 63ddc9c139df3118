"""What a report holds: the planning figures of one ward or the city (``simulation.planning``),
the map, and what they rest on (assumptions, the data's date, attribution). Gathered once, then
written as HTML, PDF or XLSX from the same frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from layers import LAYERS
from web.report.tables import METRIC_TITLES, Kind, cell_text

OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors, available under the Open Database Licence (ODbL)"


@dataclass(frozen=True)
class Area:
    """The ward (or the city) a report is about."""

    level: str
    """"ward" or "city"."""
    name: str
    code: str | None = None
    district: str | None = None


@dataclass(frozen=True)
class ReportData:
    """Every figure of one report as plain frames (columns as ``simulation.planning`` documents
    them, plus ``layer_title`` and ``metric_title`` for people)."""

    area: Area
    inventory: pd.DataFrame
    age_profile: pd.DataFrame
    materials: pd.DataFrame
    renewal: pd.DataFrame
    energy: pd.DataFrame
    """One row per area: luminaires, installed_kw, burning_h, kwh, cost_vnd, co2_kg."""
    targets: pd.DataFrame
    unit_costs: pd.DataFrame
    what_ifs: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per lighting what-if (``gather.what_if_rows``): what_if, kwh and area_saved_kwh
    (the area's own), saved_kwh, saved_vnd, saved_co2_kg, capex_vnd, capex_in_backlog_vnd,
    payback_years, pays_back, luminaires_changed, failing_roads (a count), rejected_kwh."""
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    """item, value, note: the tariff, the emission factor and what else the figures assume."""
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    data_as_of: datetime | None = None
    from_year: int | None = None
    map_png: bytes | None = None
    osm_shown: bool = False

    @property
    def title(self) -> str:
        return f"{self.area.name}: infrastructure planning report"

    def renewal_by_year(self) -> pd.DataFrame:
        """Renewal summed by due year (the backlog is the first year): due_year, count,
        length_m, cost_vnd."""
        if self.renewal.empty:
            return pd.DataFrame(columns=["due_year", "count", "length_m", "cost_vnd"])
        sums = (self.renewal.groupby("due_year", as_index=False)[["count", "length_m", "cost_vnd"]]
                .sum(min_count=1).sort_values("due_year"))
        if self.from_year is not None:
            sums["due_year"] = [f"{y} (backlog)" if y <= self.from_year else str(y)
                                for y in sums["due_year"]]
        return sums.reset_index(drop=True)

    def area_kwh(self) -> float | None:
        """The area's own lighting kWh a year (the city's report lists every ward and the city:
        the city's row, not their sum)."""
        if self.energy.empty:
            return None
        own = self.energy
        if "area_code" in own.columns and len(own) > 1:
            own = own[own["area_code"] == (self.area.code or "city")]
        return float(own["kwh"].sum()) if len(own) else None

    def backlog_cost(self) -> float:
        if self.renewal.empty or self.from_year is None:
            return 0.0
        return float(self.renewal.loc[self.renewal["due_year"] <= self.from_year, "cost_vnd"].sum())


def layer_title(name: str) -> str:
    spec = LAYERS.get(name)
    return spec.title if spec is not None else name.replace("_", " ")


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with ``layer_title`` beside ``layer`` and ``metric_title`` beside ``metric``."""
    out = frame.copy()
    if "layer" in out.columns:
        out.insert(out.columns.get_loc("layer") + 1, "layer_title",  # type: ignore[arg-type]
                   out["layer"].map(layer_title))
    if "metric" in out.columns:
        out.insert(out.columns.get_loc("metric") + 1, "metric_title",  # type: ignore[arg-type]
                   out["metric"].map(lambda m: METRIC_TITLES.get(m, str(m).replace("_", " "))))
    return out


def key_figures(data: ReportData) -> list[dict[str, Any]]:
    """The handful of numbers the report leads with (the title page, the XLSX's summary): key,
    label, number (None for "3 of 4") and the value as written."""
    inventory = data.inventory
    figures: list[tuple[str, str, float | None, Kind]] = [
        ("assets", "assets in the twin", float(inventory["count"].sum()) if len(inventory) else 0.0,
         "int"),
        ("network_km", "km of lines (roads, pipes, cables)",
         float(inventory["length_m"].sum()) / 1000 if len(inventory) else 0.0, "dec"),
        ("backlog_vnd", "VND renewal backlog", data.backlog_cost(), "money"),
    ]
    if data.area_kwh() is not None:
        figures.append(("kwh", "kWh a year of street lighting", data.area_kwh(), "int"))
    out = [{"key": k, "label": label, "number": n, "value": cell_text(n, kind)}
           for k, label, n, kind in figures]
    if len(data.targets):
        met = int(data.targets["met"].fillna(False).astype(bool).sum())
        out.append({"key": "targets_met", "label": "programme targets met", "number": None,
                    "value": f"{met} of {len(data.targets)}"})
    return out
