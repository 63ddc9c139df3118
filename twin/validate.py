"""The rules at the boundary: what any frame must satisfy before the twin writes it.

Every writer (importers, the demo) goes through :func:`prepare_layer`, so a fault is reported the
same way wherever it comes from: one line naming the row (``<unit> <index label>``), the column
and the rule. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from sqlalchemy import CheckConstraint, Table

from layers import LayerSpec
from twin.errors import InvalidInput
from twin.schema import STORAGE_SRID

_MULTI = {"MultiPolygon": shapely.multipolygons, "MultiLineString": shapely.multilinestrings,
          "MultiPoint": shapely.multipoints}
_ONE_OF = re.compile(r"^(\w+) IN \((.*)\)$")
_NOT_NEGATIVE = re.compile(r"^(\w+) >= 0$")


def prepare_layer(spec: LayerSpec, frame: gpd.GeoDataFrame, unit: str = "row") -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 with geometries of the layer's type, or InvalidInput.

    Checks: a geometry column and a CRS; only the table's columns; geometries present, of the
    layer's type (single parts become multi where the layer is multi), valid, and inside
    longitude/latitude range once reprojected (a wrong CRS shows here); ids present and unique;
    the table's CHECKs (enumerations, non-negative quantities) and NOT NULL columns.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InvalidInput("has no geometry", where=f"layer '{spec.name}'")
    frame = frame.rename_geometry("geom") if frame.geometry.name != "geom" else frame
    check_columns(spec.table, frame)
    given = frame.geometry
    frame = to_storage_crs(frame, spec.name)
    frame = frame.set_geometry(_geometries_of_type(spec, frame.geometry, unit))
    refuse_outside_world(frame.geometry, given, unit)
    check_ids(frame, unit)
    check_values(frame, spec.table, unit)
    return frame


def check_ids(frame: pd.DataFrame, unit: str = "row") -> None:
    """Ids, where the frame brings them, present and unique."""
    if "id" in frame.columns:
        ids = frame["id"]
        _refuse_first(ids.isna(), unit, "id", "id is empty")
        duplicated = ids.duplicated()
        if duplicated.any():
            _refuse_first(duplicated, unit, "id", f"id '{ids[duplicated].iloc[0]}' appears twice")


def check_columns(table: Table, frame: pd.DataFrame) -> None:
    """InvalidInput naming the first column of ``frame`` that ``table`` does not have."""
    known = set(table.columns.keys())
    unknown = [c for c in frame.columns if c not in known]
    if unknown:
        raise InvalidInput(
            f"unknown column for layer '{table.name}' (its columns: {', '.join(sorted(known))})",
            column=str(unknown[0]),
        )


def to_storage_crs(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise InvalidInput("has no CRS: name the CRS of its coordinates", where=f"layer '{name}'")
    return frame if frame.crs.to_epsg() == STORAGE_SRID else frame.to_crs(STORAGE_SRID)


def check_values(frame: pd.DataFrame, table: Table, unit: str = "row") -> None:
    """The table's CHECK constraints and NOT NULL columns, tested on the frame (vectorised)."""
    for name, allowed, rule in table_checks(table):
        if name in frame.columns:
            values = frame[name]
            ok = allowed(values).astype("boolean").fillna(True).astype(bool)
            bad = values.notna() & ~ok
            if bad.any():
                _refuse_first(bad, unit, name, f"'{short(values[bad].iloc[0])}' {rule}")
    for name in required_columns(table):
        if name in frame.columns:
            _refuse_first(frame[name].isna(), unit, name,
                          f"empty, but layer '{table.name}' requires a value")


def required_columns(table: Table) -> list[str]:
    """NOT NULL columns the database cannot fill (no server default), but the geometry."""
    return [c.name for c in table.columns
            if not c.nullable and c.server_default is None and c.name != "geom"]


def table_checks(table: Table) -> Iterator[tuple[str, Callable[[pd.Series], pd.Series], str]]:
    """The table's CHECK constraints (``twin.schema.one_of`` and ``positive``) as tests."""
    for constraint in table.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        sql = str(constraint.sqltext)
        if match := _ONE_OF.match(sql):
            allowed = tuple(v.strip().strip("'") for v in match.group(2).split(","))
            yield (match.group(1), lambda s, a=allowed: s.isin(a),  # type: ignore[misc]
                   f"is not one of {', '.join(allowed)}")
        elif match := _NOT_NEGATIVE.match(sql):
            yield match.group(1), lambda s: pd.to_numeric(s, errors="coerce") >= 0, "is negative"


def refuse_outside_world(geoms: gpd.GeoSeries, originals: gpd.GeoSeries, unit: str = "row") -> None:
    """InvalidInput for the first geometry whose coordinates, once in EPSG:4326 (``geoms``), are
    not longitudes and latitudes: what coordinates in another CRS than the one named become.
    ``originals`` are the same geometries as given, quoted in the message."""
    bounds = geoms.bounds
    bad = ~(np.isfinite(bounds).all(axis=1) & (bounds["minx"] >= -180) & (bounds["maxx"] <= 180)
            & (bounds["miny"] >= -90) & (bounds["maxy"] <= 90))
    if bad.any():
        n = bad.index[bad][0]
        x, y = shapely.get_coordinates(originals[n])[0]
        raise InvalidInput(f"coordinates ({x:.10g}, {y:.10g}) in {crs_name(originals.crs)} fall "
                           "outside the world: is the CRS right?", where=f"{unit} {n}".strip())


def parse_crs(text: str | None) -> CRS | None:
    """A CRS pyproj knows (``EPSG:9214``, a WKT or PROJ string), or InvalidInput."""
    if text is None:
        return None
    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise InvalidInput(f"--crs '{text}' is not a CRS pyproj knows: {exc}") from None


def crs_name(crs: CRS | None) -> str:
    if crs is None:
        return "no CRS"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else f"'{crs.name}'"


def short(value: object, limit: int = 40) -> str:
    """A value as quoted in a message, cut to ``limit`` characters."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refuse_first(bad: pd.Series, unit: str, column: str, rule: str) -> None:
    if bad.any():
        raise InvalidInput(rule, where=f"{unit} {bad.index[bad.to_numpy()][0]}".strip(),
                           column=column)


def _geometries_of_type(spec: LayerSpec, geoms: gpd.GeoSeries, unit: str) -> gpd.GeoSeries:
    """Promote single to multi where the layer stores multi; refuse empty, wrong or broken ones."""
    where = f"layer '{spec.name}'"
    missing = geoms.isna() | geoms.is_empty
    if missing.any():
        raise InvalidInput("geometry is empty", source=where,
                           where=f"{unit} {geoms.index[missing.to_numpy()][0]}".strip())
    collect = _MULTI.get(spec.geometry_type)
    if collect is not None:
        is_single = (geoms.geom_type == spec.geometry_type.removeprefix("Multi")).to_numpy()
        if is_single.any():
            values = geoms.to_numpy().copy()
            values[is_single] = collect(values[is_single], indices=np.arange(is_single.sum()))
            geoms = gpd.GeoSeries(values, index=geoms.index, crs=geoms.crs)
    wrong = (geoms.geom_type != spec.geometry_type).to_numpy()
    if wrong.any():
        raise InvalidInput(
            f"geometry is a {geoms[wrong].iloc[0].geom_type}, layer '{spec.name}' holds "
            f"{spec.geometry_type}s", where=f"{unit} {geoms.index[wrong][0]}".strip())
    invalid = ~geoms.is_valid.to_numpy()
    if invalid.any():
        raise InvalidInput(f"invalid geometry: {shapely.is_valid_reason(geoms[invalid].iloc[0])}",
                           where=f"{unit} {geoms.index[invalid][0]}".strip(), source=where)
    return geoms
