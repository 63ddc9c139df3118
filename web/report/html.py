"""The report as one self-contained HTML page (jinja2): the stylesheet inline, charts as SVG and
the map as PNG in data: URLs. WeasyPrint prints the same page as the PDF."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
import pandas as pd

from simulation.planning.renewal import DEFAULT_DIAMETER_MM, DEFAULT_ROAD_WIDTH_M
from web.report import charts
from web.report.area_map import CRS
from web.report.contents import OSM_ATTRIBUTION, ReportData, for_people, key_figures
from web.report.tables import (
    ASSUMPTIONS,
    ENERGY,
    INVENTORY,
    MATERIALS,
    RENEWAL,
    RENEWAL_BY_YEAR,
    TARGETS,
    UNIT_COSTS,
    WHAT_IFS,
    Column,
    TableSpec,
    age_table,
    cell_text,
    missing,
    present_columns,
)

KEY_COLUMNS = ("area_code", "layer", "metric", "material", "due_year", "reason", "what_if",
               "item", "layer_title")
"""Columns that, joined, name a row (``data-key`` in the HTML: what tests and scripts look up)."""


@dataclass(frozen=True)
class Cell:
    key: str
    text: str
    numeric: bool
    flag: bool = False


@dataclass(frozen=True)
class Row:
    key: str
    cells: list[Cell]


@dataclass(frozen=True)
class RenderedTable:
    name: str
    columns: list[Any]
    rows: list[Row]
    total: list[Cell] | None


def row_key(row: pd.Series, keys: tuple[str, ...] = KEY_COLUMNS) -> str:  # type: ignore[type-arg]
    parts = [str(row[c]) for c in keys if c in row.index and not missing(row[c])]
    if "layer" in row.index:
        parts = [p for p in parts if p != row.get("layer_title")]
    return "|".join(parts)


def render_table(spec: TableSpec, frame: pd.DataFrame, *, total: bool = False) -> RenderedTable:
    """A table's header and cells as the template writes them; ``total`` adds a row summing the
    count, length, area and cost columns."""
    columns = present_columns(spec, frame)
    heads = [{"header": c.header, "numeric": c.kind not in ("text", "bool")} for c in columns]
    one_area = "area_code" in frame.columns and frame["area_code"].nunique() <= 1
    keys = tuple(k for k in KEY_COLUMNS if not (one_area and k == "area_code"))
    rows = [Row(row_key(row, keys), [Cell(c.key, cell_text(row[c.key], c.kind),
                                    c.kind not in ("text", "bool"),
                                    flag=c.key == "assumption" and bool(row[c.key]))
                               for c in columns])
            for _, row in frame.iterrows()]
    summed = None
    if total and len(frame):  # sums of the counts and amounts; averages and shares left blank
        summed = [Cell(c.key, "Total" if i == 0 else
                       cell_text(frame[c.key].sum(min_count=1), c.kind)
                       if c.kind in ("int", "money", "millions") else "",
                       c.kind not in ("text", "bool"))
                  for i, c in enumerate(columns)]
    return RenderedTable(spec.name, heads, rows, summed)


def transposed_table(spec: TableSpec, frame: pd.DataFrame, name_column: str) -> RenderedTable:
    """A table with one column per row of ``frame`` (named by ``name_column``) and one row per
    measure: what-ifs side by side read better than a dozen narrow columns."""
    if frame.empty:
        return RenderedTable(spec.name, [], [], None)
    measures = [c for c in present_columns(spec, frame) if c.key != name_column]
    heads = [{"header": "", "numeric": False}] + [
        {"header": str(name), "numeric": True} for name in frame[name_column]]
    rows = [Row(c.key, [Cell("measure", c.header, False)] + [
        Cell(str(name), cell_text(value, c.kind), True)
        for name, value in zip(frame[name_column], frame[c.key], strict=True)])
        for c in measures]
    return RenderedTable(spec.name, heads, rows, None)


def renewal_pivot(renewal: pd.DataFrame, from_year: int | None) -> tuple[TableSpec, pd.DataFrame]:
    """Renewal cost by layer (rows) and due year (columns), in million VND (a tree's
    inspection, 0.15 million, written so: ``tables.cell_text``'s "millions")."""
    if renewal.empty:
        return TableSpec("renewal_pivot", "", ()), pd.DataFrame()
    wide = (renewal.pivot_table(index="layer_title", columns="due_year", values="cost_vnd",
                                aggfunc="sum").fillna(0) / 1e6).sort_index(axis=1)
    wide = wide[wide.sum(axis=1) > 0]
    wide.columns = [str(y) for y in wide.columns]
    wide["total"] = wide.sum(axis=1)
    columns = [Column("layer_title", "Layer (million VND)", "text")] + [
        Column(y, f"{y} backlog" if from_year is not None and y == str(from_year) else y,
               "millions") for y in wide.columns[:-1]] + [Column("total", "Total", "millions")]
    return TableSpec("renewal_pivot", "Renewal cost by layer and year", tuple(columns)), \
        wide.sort_values("total", ascending=False).reset_index()


def shared_note(frame: pd.DataFrame, column: str = "note") -> tuple[pd.DataFrame, str | None]:
    """The frame with the clauses ("; "-separated) that most of its notes share taken out and
    marked with *, and those clauses (said once under the table rather than on every row)."""
    if column not in frame.columns or frame.empty:
        return frame, None
    clauses = frame[column].fillna("").map(lambda n: [c.strip() for c in n.split(";") if c.strip()])
    counts = pd.Series([c for cs in clauses for c in dict.fromkeys(cs)]).value_counts()
    common = [str(c) for c, n in counts.items() if n >= max(2, len(frame) // 2)]
    if not common:
        return frame, None
    out = frame.copy()
    out[column] = ["; ".join(c for c in cs if c not in common)
                   + (" *" if set(common) & set(cs) else "") for cs in clauses]
    ordered = [c for c in dict.fromkeys(c for cs in clauses for c in cs) if c in common]
    return out, "; ".join(ordered)


def _b64(data: bytes | str | None) -> str | None:
    if data is None:
        return None
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("web.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)


def render_html(data: ReportData) -> str:
    """The whole report as one HTML page."""
    inventory = for_people(data.inventory)
    age = for_people(data.age_profile)
    renewal = for_people(data.renewal)
    targets = for_people(data.targets)
    age_spec, age_wide = age_table(age)
    unit_costs, unit_cost_note = shared_note(for_people(data.unit_costs))
    tables = {
        "inventory": render_table(INVENTORY, inventory, total=True),
        "age_profile": render_table(age_spec, age_wide),
        "materials": render_table(MATERIALS, for_people(data.materials)),
        "renewal_by_year": render_table(RENEWAL_BY_YEAR, data.renewal_by_year(), total=True),
        "renewal": render_table(RENEWAL, renewal),
        "renewal_pivot": render_table(*renewal_pivot(renewal, data.from_year), total=True),
        "energy": render_table(ENERGY, data.energy),
        "what_ifs": transposed_table(WHAT_IFS, data.what_ifs, "what_if"),
        "targets": render_table(TARGETS, targets),
        "unit_costs": render_table(UNIT_COSTS, unit_costs),
        "assumptions": render_table(ASSUMPTIONS, data.assumptions),
    }
    drawn = {
        "condition": charts.condition_chart(inventory),
        "age": charts.age_chart(age),
        "renewal": charts.renewal_chart(renewal, data.from_year),
        "energy": charts.energy_chart(data.area_kwh(), data.what_ifs),
        "targets": charts.targets_chart(targets),
    }
    area = data.area
    area_text = area.name if area.level == "city" else (
        f"{area.name} (ward {area.code}" + (f", district {area.district})" if area.district else ")"))
    css = resources.files("web.report").joinpath("templates/report.css").read_text("utf-8")
    return _environment().get_template("report.html.j2").render(
        title=data.title, area=area, area_text=area_text, css=css,
        made_at=f"{data.made_at:%Y-%m-%d %H:%M} UTC",
        data_as_of=f"{data.data_as_of:%Y-%m-%d %H:%M} UTC" if data.data_as_of else "unknown",
        from_year=data.from_year if data.from_year is not None else "this year",
        key_figures=key_figures(data), tables=tables, unit_cost_note=unit_cost_note,
        charts={k: _b64(v) for k, v in drawn.items()}, map_png=_b64(data.map_png),
        osm_shown=data.osm_shown, osm_attribution=OSM_ATTRIBUTION, crs=CRS,
        road_width_m=f"{DEFAULT_ROAD_WIDTH_M:g}", diameter_mm=f"{DEFAULT_DIAMETER_MM:g}")
