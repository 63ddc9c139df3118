"""Renewal planning: what falls due and what it costs, by area, layer, material and year, from
the unit-cost table (``unit_costs``). See docs/planning.md, "Unit costs and renewal"."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection

from simulation.planning._areas import AREA_COLUMNS, areas
from simulation.planning._assets import asset_layers, assets_sql, current_year
from simulation.planning.rollups import area_rows, grouped
from twin.errors import InvalidInput

MAX_YEARS = 100
DEFAULT_ROAD_WIDTH_M = 7.0
"""Carriageway width (m) of a road with no ``width_m``: a two-lane street (an assumption)."""
DEFAULT_DIAMETER_MM = 150.0
"""Diameter (mm) of a pipe with no ``diameter_mm``: a DN150 distribution main (an assumption)."""
MATERIAL_ALIASES: dict[str, str] = {
    "UPVC": "PVC", "U-PVC": "PVC", "PVC-U": "PVC", "PVCU": "PVC",
    "HDPE100": "HDPE", "PE": "HDPE", "PE100": "HDPE", "POLYETHYLENE": "HDPE",
    "DUCTILE IRON": "DI", "D.I.": "DI", "DCI": "DI",
    "CAST IRON": "CI", "C.I.": "CI", "GREY CAST IRON": "CI", "GRAY CAST IRON": "CI",
    "ASBESTOS CEMENT": "AC", "A.C.": "AC", "FIBRE CEMENT": "AC",
    "GALVANISED STEEL": "STEEL", "GALVANIZED STEEL": "STEEL", "GI": "STEEL",
}
"""Other spellings of a material (after trimming and upper-casing) and the unit-cost row they
are costed by. A material matches a row case-insensitively (``upper(trim(...))``), after this
table; what matches no row is costed by the layer's ``*`` row (shown in ``costed_as``)."""
ALIAS_PARAMS = {"alias_from": list(MATERIAL_ALIASES), "alias_to": list(MATERIAL_ALIASES.values())}
"""The bound values ``UNIT_COSTS_SQL`` and ``unit_cost_join`` read the alias table from."""


def cost_key(material: str) -> str:
    """The key a material is costed under: trimmed, upper-cased, through the alias table
    (" upvc " -> "PVC"); a unit-cost row matches the materials of its own key."""
    key = material.strip().upper()
    return MATERIAL_ALIASES.get(key, key)


UNIT_COSTS_SQL = """
aliases AS (SELECT * FROM unnest(CAST(:alias_from AS text[]), CAST(:alias_to AS text[]))
            AS al(alias, canonical)),
costs AS (SELECT layer, upper(trim(material)) AS key, material, unit, cost_vnd, service_life_y
          FROM unit_costs)"""
"""The CTEs (for a ``WITH``) that ``unit_cost_join`` joins: the alias table and the unit costs
by key."""
_MATCH = """
LEFT JOIN aliases al ON al.alias = upper(trim({material}))
LEFT JOIN costs m ON m.layer = {layer} AND m.material <> '*'
                 AND m.key = coalesce(al.canonical, upper(trim({material})))
LEFT JOIN costs s ON s.layer = {layer} AND s.material = '*'
CROSS JOIN LATERAL (SELECT coalesce(m.service_life_y, s.service_life_y) AS service_life_y,
                           coalesce(m.cost_vnd, s.cost_vnd) AS cost_vnd,
                           coalesce(m.unit, s.unit) AS unit,
                           coalesce(m.material, s.material) AS costed_as) c"""


def unit_cost_join(material: str, layer: str) -> str:
    """The joins giving each row of a query its unit cost as ``c`` (service_life_y, cost_vnd,
    unit, costed_as): its material's own row (aliases and case aside), else the layer's ``*``.
    ``material`` and ``layer`` are SQL expressions; the query starts ``WITH UNIT_COSTS_SQL``."""
    return _MATCH.format(material=material, layer=layer)


_DUE = """
SELECT a.layer, a.ward_code, a.district_code, a.material, c.costed_as, a.length_m,
       CASE WHEN a.condition = 'failed' THEN :from_year
            ELSE greatest(a.install_year + c.service_life_y, :from_year) END AS due_year,
       CASE WHEN a.condition = 'failed' THEN 'condition failed'
            ELSE 'past service life' END AS reason,
       c.cost_vnd * CASE c.unit WHEN 'm' THEN coalesce(a.length_m, 0)
                                WHEN 'm2' THEN coalesce(a.length_m, 0)
                                               * coalesce(a.width_m, :default_width)
                                WHEN 'm_per_100mm' THEN coalesce(a.length_m, 0)
                                               * coalesce(a.diameter_mm, :default_diameter) / 100
                                ELSE 1 END AS cost_vnd
FROM ({assets}) a{match}
WHERE c.cost_vnd IS NOT NULL AND (a.condition = 'failed' OR a.install_year + c.service_life_y < :end_year)
"""

_INSPECTIONS = """
SELECT t.layer, t.ward_code, t.district_code, t.material, t.costed_as, t.length_m,
       due AS due_year, 'tree inspection due' AS reason, t.cost_vnd
FROM (SELECT 'trees'::text AS layer, x.ward_code, w.district_code,
             coalesce(x.species, 'unknown') AS material, c.costed_as, NULL::float8 AS length_m,
             c.cost_vnd, c.service_life_y,
             greatest(coalesce(extract(year FROM x.last_inspected)::int + c.service_life_y,
                               :from_year), :from_year) AS first_due
      FROM trees x LEFT JOIN wards w ON w.id = x.ward_code{match}
      WHERE c.cost_vnd IS NOT NULL{where}) t
CROSS JOIN LATERAL generate_series(t.first_due, :end_year - 1, t.service_life_y) AS due
"""


def due_sql(ward_filter: bool) -> str:
    """Every renewal or inspection falling due before ``:end_year``: one row per asset and due
    year (layer, ward_code, district_code, material, costed_as, length_m, due_year, reason,
    cost_vnd)."""
    specs = [s for s in asset_layers() if s.name != "trees"]
    renewals = _DUE.format(assets=assets_sql(ward_filter, specs),
                           match=unit_cost_join("a.material", "a.layer"))
    inspections = _INSPECTIONS.format(
        match=unit_cost_join("coalesce(x.species, 'unknown')", "'trees'"),
        where=" AND x.ward_code = :ward" if ward_filter else "")
    return f"WITH {UNIT_COSTS_SQL}\n{renewals}\nUNION ALL\n{inspections}"


def renewal(conn: Connection, level: str = "ward", ward: str | None = None,
            from_year: int | None = None, years: int = 10, *,
            levels: Sequence[str] | None = None) -> pd.DataFrame:
    """Renewals and inspections due from ``from_year`` (default this year; the backlog shown in
    it) for ``years`` years, per area, layer, material, due year and reason: count, length_m,
    cost_vnd (VND)."""
    if not 1 <= years <= MAX_YEARS:
        raise InvalidInput(f"years must be 1..{MAX_YEARS}, got {years}")
    start = from_year or current_year()
    levels = list(levels or [level])
    figures = grouped(conn, "count(*) AS count, sum(length_m) AS length_m, "
                            "sum(cost_vnd) AS cost_vnd",
                      levels, ward, extra=["material", "costed_as", "due_year", "reason"],
                      source=due_sql,
                      params={"from_year": start, "end_year": start + years,
                              "default_width": DEFAULT_ROAD_WIDTH_M,
                              "default_diameter": DEFAULT_DIAMETER_MM, **ALIAS_PARAMS})
    names = area_rows(conn, levels, ward, figures)
    out = names.merge(figures, on=["area_level", "area_code"], how="inner")
    out["count"] = out["count"].astype("int64")
    out["due_year"] = out["due_year"].astype("int64")
    out["cost_vnd"] = out["cost_vnd"].astype(float)
    out = out.sort_values(["area_level", "area_code", "due_year", "layer", "material"])
    return out[[*AREA_COLUMNS, "layer", "material", "costed_as", "due_year", "count",
                "length_m", "cost_vnd", "reason"]].reset_index(drop=True)


def renewal_cost_by_ward(conn: Connection, from_year: int | None = None,
                         years: int = 10) -> pd.DataFrame:
    """Total renewal cost per ward (backlog and the next ``years``): area_code, cost_vnd;
    every ward, zero when nothing is due."""
    rows = renewal(conn, "ward", from_year=from_year, years=years)
    total = rows.groupby("area_code")["cost_vnd"].sum()
    every = areas(conn, "ward")
    return every.assign(cost_vnd=every["area_code"].map(total).fillna(0.0))
