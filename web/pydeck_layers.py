"""pydeck layers drawn from the layers' own 3D styles (``layers._style``), for notebooks and the
standalone HTML map.

Each layer's frame (EPSG:4326, as ``twin.read.read_layer`` returns it) becomes plain rows with
``position``/``path``/``polygon`` in lon/lat and heights in metres, so the deck.gl layer only reads
fields (no JavaScript expressions). The browser app applies the same rules in ``web/app/src/``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from sqlalchemy import Connection, Engine

from layers import LAYERS, LayerSpec, get_layer
from layers._style import ROLE_COLOURS, LayerStyle
from twin.city import BAC_GIANG
from twin.errors import InvalidInput
from twin.read import read_layer

METRES_PER_DEGREE = 111_320.0
"""Metres per degree of latitude; a longitude degree is this times cos(latitude). Close enough
for drawing discs and view cones a few tens of metres across."""

DISC_SIDES = 12


def default_layers() -> list[str]:
    """The layers a map shows when it opens: those styled visible."""
    return [name for name, spec in LAYERS.items() if spec.style and spec.style.visible]


def _number(frame: pd.DataFrame, column: str | None, default: float) -> np.ndarray:
    """A column as floats with ``default`` where it is null or absent (m)."""
    if column is None or column not in frame:
        return np.full(len(frame), default, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").fillna(default).to_numpy(dtype=float)


def heights(frame: pd.DataFrame, style: LayerStyle) -> np.ndarray:
    """Height above ground (m) of each feature, or its extrusion for columns and polygons."""
    return _number(frame, style.height_attribute, style.default_height_m)


def depths(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    """Depth below ground (m) in ``column``, NaN where unknown."""
    if column is None or column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def colours(frame: pd.DataFrame, style: LayerStyle) -> list[list[int]]:
    """RGBA per feature: the palette's colour for its ``color_by`` value, else the style's."""
    palette = dict(style.palette)
    values = frame[style.color_by] if style.color_by in frame else pd.Series(None, index=frame.index)
    return [list(palette.get(v, style.color)) for v in values]


def disc(lon: float, lat: float, radius_m: float, sides: int = DISC_SIDES) -> list[list[float]]:
    """A regular polygon of ``radius_m`` around a point, as a lon/lat ring."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / math.cos(math.radians(lat))
    return [[lon + dlon * math.sin(2 * math.pi * i / sides), lat + dlat * math.cos(2 * math.pi * i / sides)]
            for i in range(sides + 1)]


def view_cone(lon: float, lat: float, heading_deg: float, fov_deg: float, range_m: float,
              steps: int = 8) -> list[list[float]]:
    """A camera's field of view: apex at the camera, an arc ``range_m`` away, as a lon/lat ring."""
    dlat = range_m / METRES_PER_DEGREE
    dlon = dlat / math.cos(math.radians(lat))
    arc = [math.radians(heading_deg - fov_deg / 2 + fov_deg * i / steps) for i in range(steps + 1)]
    return [[lon, lat], *[[lon + dlon * math.sin(a), lat + dlat * math.cos(a)] for a in arc], [lon, lat]]


def _rows(frame: gpd.GeoDataFrame, style: LayerStyle, extra: dict[str, Any]) -> pd.DataFrame:
    """Plain rows for pydeck: ``id``, the style's attributes (for the tooltip) and ``extra``."""
    shown = [c for c in style.attributes() if c in frame]
    rows = pd.DataFrame({"id": frame.index.astype(str)}, index=frame.index)
    for column in shown:
        rows[column] = frame[column].astype(object).where(frame[column].notna(), None)
    for key, values in extra.items():
        rows[key] = values
    return rows.reset_index(drop=True)


def _z(frame: gpd.GeoDataFrame, style: LayerStyle, underground: bool, exaggeration: float,
       column: str | None) -> np.ndarray:
    """Where a point or line vertex is drawn (m): below ground at its depth in the underground
    mode, else at its height (on the ground when it has a depth)."""
    depth = depths(frame, column)
    below = -depth * exaggeration if underground else 0.0
    return np.where(np.isnan(depth), heights(frame, style), below)


def _points(frame: gpd.GeoDataFrame, style: LayerStyle, underground: bool,
            exaggeration: float) -> pdk.Layer:
    z = _z(frame, style, underground, exaggeration, style.depth_attribute)
    xy = shapely.get_coordinates(frame.geometry.values)
    positions = [[x, y, h] for (x, y), h in zip(xy.tolist(), z.tolist(), strict=True)]
    if style.kind == "ScatterplotLayer":
        rows = _rows(frame, style, {"position": positions, "color": colours(frame, style)})
        return pdk.Layer("ScatterplotLayer", rows, get_position="position", get_fill_color="color",
                         get_radius=style.width_m, radius_units="'meters'",
                         radius_min_pixels=style.min_pixels, billboard=True, pickable=True)
    if style.radius_attribute is None:
        rows = _rows(frame, style, {"position": positions, "height": heights(frame, style).tolist(),
                                    "color": colours(frame, style)})
        return pdk.Layer("ColumnLayer", rows, get_position="position", get_elevation="height",
                         get_fill_color="color", radius=style.width_m, disk_resolution=DISC_SIDES,
                         extruded=True, pickable=True)
    # deck.gl's ColumnLayer has one radius per layer: discs of their own radius are polygons
    radius = _number(frame, style.radius_attribute, 2 * style.width_m) / 2
    polygons = [disc(x, y, r) for (x, y), r in zip(xy.tolist(), radius.tolist(), strict=True)]
    rows = _rows(frame, style, {"polygon": polygons, "height": heights(frame, style).tolist(),
                                "color": colours(frame, style)})
    return pdk.Layer("PolygonLayer", rows, get_polygon="polygon", get_elevation="height",
                     get_fill_color="color", extruded=True, stroked=False, pickable=True)


def _paths(frame: gpd.GeoDataFrame, style: LayerStyle, underground: bool,
           exaggeration: float) -> pdk.Layer:
    start = _z(frame, style, underground, exaggeration, style.depth_attribute)
    end = (_z(frame, style, underground, exaggeration, style.depth_end_attribute)
           if style.depth_end_attribute else start)
    paths = []
    for line, z0, z1 in zip(frame.geometry.values, start.tolist(), end.tolist(), strict=True):
        xy = shapely.get_coordinates(line)
        zs = np.linspace(z0, z1, len(xy))
        paths.append([[x, y, z] for (x, y), z in zip(xy.tolist(), zs.tolist(), strict=True)])
    widths = _number(frame, style.width_attribute, style.width_m).tolist()
    rows = _rows(frame, style, {"path": paths, "width": widths, "color": colours(frame, style)})
    return pdk.Layer("PathLayer", rows, get_path="path", get_color="color", get_width="width",
                     width_units="'meters'", width_min_pixels=style.min_pixels, pickable=True)


def _polygons(frame: gpd.GeoDataFrame, style: LayerStyle) -> pdk.Layer:
    parts = frame.explode(index_parts=False)
    polygons = [[shapely.get_coordinates(ring).tolist() for ring in (p.exterior, *p.interiors)]
                for p in parts.geometry.values]
    rows = _rows(parts, style, {"polygon": polygons,
                                "height": heights(parts, style).tolist(), "color": colours(parts, style)})
    return pdk.Layer("PolygonLayer", rows, get_polygon="polygon", get_fill_color="color",
                     get_line_color=list(style.line_color or (0, 0, 0, 0)),
                     stroked=style.line_color is not None, line_width_min_pixels=1,
                     extruded=style.height_attribute is not None, get_elevation="height",
                     pickable=True)


def _cones(frame: gpd.GeoDataFrame, style: LayerStyle) -> pdk.Layer:
    xy = shapely.get_coordinates(frame.geometry.values).tolist()
    heading = _number(frame, "heading_deg", 0.0).tolist()
    fov = _number(frame, "fov_deg", 60.0).tolist()
    reach = _number(frame, "range_m", 30.0).tolist()
    cones = [view_cone(x, y, h, f, r) for (x, y), h, f, r in zip(xy, heading, fov, reach, strict=True)]
    r, g, b, _ = style.color
    rows = _rows(frame, style, {"polygon": cones})
    return pdk.Layer("PolygonLayer", rows, get_polygon="polygon", get_fill_color=[r, g, b, 60],
                     get_line_color=[r, g, b, 160], stroked=True, line_width_min_pixels=1,
                     pickable=False)


def deck_layers(frame: gpd.GeoDataFrame, spec: LayerSpec, *, underground: bool = False,
                exaggeration: float = 5.0) -> list[pdk.Layer]:
    """The pydeck layers that draw ``frame`` (a layer read in EPSG:4326) in its style.

    ``underground`` draws features with a depth at ``-depth * exaggeration`` metres.
    """
    style = spec.style
    if style is None:
        raise InvalidInput(f"layer '{spec.name}' has no 3D style")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        raise InvalidInput(f"layer '{spec.name}' must be in EPSG:4326 to draw; got {frame.crs}")
    if frame.empty:
        return []
    if style.kind == "PathLayer":
        layers = [_paths(frame, style, underground, exaggeration)]
    elif style.kind == "PolygonLayer":
        layers = [_polygons(frame, style)]
    else:
        layers = [_points(frame, style, underground, exaggeration)]
    if style.view_cone:
        layers.insert(0, _cones(frame, style))
    for i, layer in enumerate(layers):
        layer.id = f"{spec.name}-{i}"
    return layers


def result_layer(geojson: dict[str, Any], layer_id: str = "result") -> pdk.Layer:
    """A simulation result's FeatureCollection (``role``: failed, affected, operate) drawn in the
    roles' colours, as the browser map draws it."""
    features = [{**f, "properties": {**f["properties"],
                                     "color": list(ROLE_COLOURS.get(f["properties"].get("role", ""),
                                                                    ROLE_COLOURS["affected"]))}}
                for f in geojson.get("features", [])]
    return pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features},
                     id=layer_id, get_fill_color="properties.color", get_line_color="properties.color",
                     point_type="'circle'", get_point_radius=4, point_radius_min_pixels=4,
                     line_width_min_pixels=3, pickable=True)


def map_layers(layers: Iterable[str] | None = None) -> list[str]:
    """The layers a map draws: ``layers`` as given, or by default the base map (ward outlines,
    water, roads) and every layer styled visible, in registry order."""
    if layers is not None:
        return list(layers)
    base = [n for n, spec in LAYERS.items() if spec.style and spec.style.base_map]
    return list(dict.fromkeys([*base, *default_layers()]))


def city_deck(db: Engine | Connection, layers: Iterable[str] | None = None, *,
              bbox: Sequence[float] | None = None, underground: bool = False,
              pitch: float = 50.0, step: Callable[[str], None] | None = None) -> pdk.Deck:
    """A pydeck map of the twin's ``layers`` (default: :func:`map_layers`) inside ``bbox``
    (lon/lat), with no external base map: the twin's own water, roads and wards are the base.
    ``step`` is called with each layer's name once it is drawn (progress bars)."""
    drawn: list[pdk.Layer] = []
    for name in map_layers(layers):
        spec = get_layer(name)
        columns = [c for c in (spec.style.attributes() if spec.style else []) if c in spec.table.c]
        frame = read_layer(db, name, bbox=bbox, columns=columns)
        drawn += deck_layers(frame, spec, underground=underground)
        if step is not None:
            step(name)
    lon, lat = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2) if bbox else (
        BAC_GIANG.centre_lon, BAC_GIANG.centre_lat)
    view = pdk.ViewState(longitude=lon, latitude=lat, zoom=15, pitch=pitch, bearing=-20)
    return pdk.Deck(layers=drawn, initial_view_state=view, map_provider=None, map_style=None,
                    tooltip={"text": "{id}"})

