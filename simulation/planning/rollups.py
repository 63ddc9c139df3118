"""Inventory, age profile and materials by ward, district and city: one query per figure, a
``UNION ALL`` over the asset layers grouped by ``GROUPING SETS`` of the areas asked for.

Lengths are metres and areas m² on the WGS 84 spheroid (PostGIS geography); ages are years
before ``as_of`` (default: this year) from ``install_year`` (trees: the planting year when it
is missing). Every area × layer (× age band) is present, with zeros where there is nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import Connection, text

from simulation.planning._areas import (
    AREA_COLUMNS,
    CITY_CODE,
    NO_WARD,
    OUTSIDE_NAMES,
    areas,
    check_level,
    resolve_ward,
)
from simulation.planning._assets import asset_layers, assets_sql, current_year

AGE_BANDS = ("0-9", "10-19", "20-29", "30-39", "40+", "unknown")
CONDITIONS = ("good", "fair", "poor", "failed")
_KEYS = {"ward": "ward_code", "district": "district_code", "city": None}


def _grouping_sets(levels: Sequence[str], extra: Sequence[str]) -> str:
    sets = []
    for level in levels:
        key = _KEYS[check_level(level)]
        sets.append("(" + ", ".join(["layer", *([key] if key else []), *extra]) + ")")
    return "GROUPING SETS (" + ", ".join(sets) + ")"


def no_jit(conn: Connection) -> None:
    """For the rest of the transaction: no JIT (compiling these wide UNION ALL plans takes
    longer, ~0.2 s, than running them) and a plan made for each statement's own values (psycopg
    prepares a statement run five times; PostgreSQL's generic plan for the roll-ups then took
    20-50 s instead of 1 s on the demo city)."""
    conn.execute(text("SET LOCAL jit = off"))
    conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _area_columns(levels: Sequence[str]) -> tuple[str, str]:
    """SQL of area_level and area_code for the grouping sets of ``levels``."""
    level_sql, code_sql = "'city'", f"'{CITY_CODE}'"
    for level in ("district", "ward"):  # the finest grouping decides, so it goes outermost
        key = _KEYS[level]
        if level in levels:
            level_sql = f"CASE WHEN GROUPING({key}) = 0 THEN '{level}' ELSE {level_sql} END"
            code_sql = (f"CASE WHEN GROUPING({key}) = 0 THEN coalesce({key}, '{NO_WARD}') "
                        f"ELSE {code_sql} END")
    return level_sql, code_sql


def grouped(conn: Connection, aggregates: str, levels: Sequence[str], ward: str | None,
            extra: Sequence[str] = (), source: Callable[[bool], str] = assets_sql,
            params: dict[str, object] | None = None) -> pd.DataFrame:
    """``aggregates`` over the rows of ``source(ward_filter)`` (a SELECT with layer, ward_code,
    district_code; default every asset layer; narrowed to ``:ward`` when ``ward_filter``)
    grouped by area at each of ``levels``, by layer and ``extra``: area_level, area_code,
    layer, *extra, then the aggregates' columns. With ``ward`` the ward level keeps that ward's
    rows (the other levels stay whole)."""
    bound = dict(params or {})
    ward_code = resolve_ward(conn, ward).code if ward is not None else None
    ward_only = ward_code is not None and list(levels) == ["ward"]
    if ward_only:
        bound["ward"] = ward_code
    rows = source(ward_only)
    extra_cols = "".join(f", {e}" for e in extra)
    level_sql, code_sql = _area_columns(levels)
    sql = (f"SELECT {level_sql} AS area_level, {code_sql} AS area_code, layer{extra_cols}, "
           f"{aggregates} FROM ({rows}) r GROUP BY {_grouping_sets(levels, extra)}")
    no_jit(conn)
    frame = pd.read_sql(text(sql), conn, params=bound)
    if ward_code is not None:
        frame = frame[(frame["area_level"] != "ward") | (frame["area_code"] == ward_code)]
    return frame


def area_rows(conn: Connection, levels: Sequence[str], ward: str | None,
              figures: pd.DataFrame) -> pd.DataFrame:
    """The areas of ``levels``, and at the ward and district levels a row for the assets
    outside every ward or district (``area_code = "none"``) when ``figures`` has any: so each
    level adds up to the city. Asked for one ward (``ward``), only its own areas."""
    every = [areas(conn, level, ward) for level in levels]
    for level, name in OUTSIDE_NAMES.items():
        outside = (figures["area_level"] == level) & (figures["area_code"] == NO_WARD)
        if ward is None and level in levels and outside.any():
            every.append(pd.DataFrame({"area_level": [level], "area_code": [NO_WARD],
                                       "area_name": [name]}))
    return pd.concat(every, ignore_index=True)


def _frame_of_areas(conn: Connection, levels: Sequence[str], ward: str | None,
                    layers: Sequence[str], figures: pd.DataFrame,
                    extra: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every area × layer (× the rows of ``extra``), the skeleton the figures fill."""
    every = area_rows(conn, levels, ward, figures)
    grid = every.merge(pd.DataFrame({"layer": list(layers)}), how="cross")
    return grid if extra is None else grid.merge(extra, how="cross")


def _fill(skeleton: pd.DataFrame, figures: pd.DataFrame, keys: list[str],
          zero: list[str]) -> pd.DataFrame:
    out = skeleton.merge(figures, on=keys, how="left")
    out[zero] = out[zero].astype("float64").fillna(0.0)
    return out


def _null_where_not(frame: pd.DataFrame, column: str, geometry: str) -> None:
    kinds = {s.name: s.geometry_type for s in asset_layers()}
    frame.loc[frame["layer"].map(kinds) != geometry, column] = None


def inventory(conn: Connection, level: str = "ward", ward: str | None = None,
              as_of: int | None = None, *, levels: Sequence[str] | None = None
              ) -> pd.DataFrame:
    """One row per area and asset layer: count, length_m (lines), area_m2 (polygons),
    mean_age_y, and counts by condition (good, fair, poor, failed, condition_unknown)."""
    levels = list(levels or [level])
    conditions = ", ".join(f"count(*) FILTER (WHERE condition = '{c}') AS {c}"
                           for c in CONDITIONS)
    figures = grouped(conn, "count(*) AS count, coalesce(sum(length_m), 0) AS length_m, "
                            "coalesce(sum(area_m2), 0) AS area_m2, "
                            "avg(:as_of - install_year) AS mean_age_y, "
                            f"{conditions}, count(*) FILTER (WHERE condition IS NULL) "
                            "AS condition_unknown",
                      levels, ward, params={"as_of": as_of or current_year()})
    layers = [s.name for s in asset_layers()]
    counts = ["count", "length_m", "area_m2", *CONDITIONS, "condition_unknown"]
    out = _fill(_frame_of_areas(conn, levels, ward, layers, figures), figures,
                ["area_level", "area_code", "layer"], counts)
    int_columns = ["count", *CONDITIONS, "condition_unknown"]
    out[int_columns] = out[int_columns].astype("int64")
    out["mean_age_y"] = out["mean_age_y"].astype(float)
    _null_where_not(out, "length_m", "LineString")
    _null_where_not(out, "area_m2", "MultiPolygon")
    return out[[*AREA_COLUMNS, "layer", "count", "length_m", "area_m2", "mean_age_y",
                *CONDITIONS, "condition_unknown"]]


AGE_BAND_SQL = ("CASE WHEN install_year IS NULL THEN 'unknown' "
                "WHEN :as_of - install_year < 10 THEN '0-9' "
                "WHEN :as_of - install_year < 20 THEN '10-19' "
                "WHEN :as_of - install_year < 30 THEN '20-29' "
                "WHEN :as_of - install_year < 40 THEN '30-39' ELSE '40+' END")


def age_profile(conn: Connection, level: str = "ward", ward: str | None = None,
                as_of: int | None = None, *, levels: Sequence[str] | None = None
                ) -> pd.DataFrame:
    """Assets per area, layer and age band ("0-9" … "40+", "unknown"): count, length_m."""
    levels = list(levels or [level])
    figures = grouped(conn, "count(*) AS count, coalesce(sum(length_m), 0) AS length_m",
                      levels, ward, extra=["age_band"],
                      source=lambda ward_filter: f"SELECT a.*, {AGE_BAND_SQL} AS age_band "
                                                 f"FROM ({assets_sql(ward_filter)}) a",
                      params={"as_of": as_of or current_year()})
    layers = [s.name for s in asset_layers()]
    skeleton = _frame_of_areas(conn, levels, ward, layers, figures,
                               pd.DataFrame({"age_band": list(AGE_BANDS)}))
    out = _fill(skeleton, figures, ["area_level", "area_code", "layer", "age_band"],
                ["count", "length_m"])
    out["count"] = out["count"].astype("int64")
    _null_where_not(out, "length_m", "LineString")
    return out[[*AREA_COLUMNS, "layer", "age_band", "count", "length_m"]]


def materials(conn: Connection, level: str = "ward", ward: str | None = None, *,
              levels: Sequence[str] | None = None) -> pd.DataFrame:
    """Assets per area, layer and material (the layer's material column, "unknown" when
    missing): count, length_m. Only the combinations that occur."""
    levels = list(levels or [level])
    figures = grouped(conn, "count(*) AS count, coalesce(sum(length_m), 0) AS length_m",
                      levels, ward, extra=["material"])
    names = area_rows(conn, levels, ward, figures)
    out = names.merge(figures, on=["area_level", "area_code"], how="inner")
    out["count"] = out["count"].astype("int64")
    _null_where_not(out, "length_m", "LineString")
    order = {s.name: i for i, s in enumerate(asset_layers())}
    out = out.assign(_o=out["layer"].map(order)).sort_values(
        ["area_level", "area_code", "_o", "count"], ascending=[True, True, True, False])
    return out[[*AREA_COLUMNS, "layer", "material", "count", "length_m"]].reset_index(drop=True)
