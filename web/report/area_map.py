"""A static map of a ward (or the whole city) drawn from the twin's own data with geopandas and
matplotlib: the area's boundary and its neighbours, water, buildings, roads and the assets the
report counts. No tiles from the internet; the picture is a PNG in the city's metric CRS (so a
metre is a metre both ways), with a scale bar and north arrow."""

from __future__ import annotations

import io
from dataclasses import dataclass

import geopandas as gpd
import shapely
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sqlalchemy import Connection

from twin.city import BAC_GIANG
from twin.read import read_layer

CRS = BAC_GIANG.metric_crs
MARGIN = 0.06
"""Share of the area's size left around it."""

POINT_LAYERS = (
    # layer, legend, marker, colour, size (points²)
    ("luminaires", "Street lamps", "o", "#e69f00", 4),
    ("cameras", "Cameras", "^", "#c0392b", 22),
    ("telecom_cabinets", "Telecom cabinets", "s", "#7b3294", 16),
    ("transformers", "Transformers", "D", "#0072b2", 16),
)


@dataclass(frozen=True)
class AreaMap:
    png: bytes
    osm_shown: bool
    """Whether any feature drawn came from OpenStreetMap (then the report credits it)."""


def _from_osm(*frames: gpd.GeoDataFrame) -> bool:
    return any("source" in f.columns and bool((f["source"] == "osm").any()) for f in frames)


@dataclass(frozen=True)
class _Frames:
    wards: gpd.GeoDataFrame
    outline: shapely.Geometry
    view: shapely.Geometry
    water: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    points: list[gpd.GeoDataFrame]


def _read(conn: Connection, ward_code: str | None) -> _Frames:
    """What the map draws, in the city CRS: the area's outline and a view around it, and the
    features in that view (the assets of the ward only: those the report counts)."""
    wards = read_layer(conn, "wards", columns=["name"], crs=CRS)
    area = wards.loc[[ward_code]] if ward_code is not None else wards
    outline = shapely.union_all(area.geometry.to_numpy()) if len(area) else shapely.Point()
    if outline.is_empty:
        outline = shapely.box(*_city_box())
    xmin, ymin, xmax, ymax = outline.bounds
    pad = MARGIN * max(xmax - xmin, ymax - ymin, 200.0)
    view = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    view_lonlat = gpd.GeoSeries([view], crs=CRS).to_crs(4326).iloc[0]

    def layer(name: str, columns: list[str]) -> gpd.GeoDataFrame:
        return read_layer(conn, name, polygon=view_lonlat, columns=columns, crs=CRS)

    points = [layer(name, ["ward_code", "source"]) for name, *_ in POINT_LAYERS]
    if ward_code is not None:
        points = [frame[frame["ward_code"] == ward_code] for frame in points]
    return _Frames(wards, outline, view, layer("water_areas", ["source"]),
                   layer("roads", ["road_class", "source"]),
                   layer("buildings", ["source"]) if ward_code is not None else gpd.GeoDataFrame(),
                   points)


def draw_area_map(conn: Connection, ward_code: str | None, *, dpi: int = 150) -> AreaMap:
    """The map of ward ``ward_code`` (its GSO code), or of the city when None."""
    f = _read(conn, ward_code)
    xmin, ymin, xmax, ymax = f.view.bounds
    figure = Figure(figsize=(7.0, min(9.0, max(4.0, 7.0 * (ymax - ymin) / (xmax - xmin)))))
    scale = 1.0 if ward_code else 0.35  # the whole city's thousands of points smaller
    axes = figure.subplots()
    axes.set_facecolor("#f7f7f4")
    if len(f.water):
        f.water.plot(ax=axes, color="#a6cee3", linewidth=0)
    if len(f.buildings):
        f.buildings.plot(ax=axes, color="#d9d4cc", linewidth=0)
    if len(f.roads):
        major = f.roads["road_class"].isin(["motorway", "trunk", "primary", "secondary"])
        for kind, color, width in ((~major, "#9a9a9a", 0.5), (major, "#6b6b6b", 1.4)):
            if kind.any():
                f.roads[kind].plot(ax=axes, color=color, linewidth=width)
    f.wards.boundary.plot(ax=axes, color="#333333", linewidth=0.6 if ward_code else 0.9,
                          linestyle="--", zorder=5)
    handles = [Line2D([], [], color="#222222", linewidth=2,
                      label="Ward boundary" if ward_code else "City boundary"),
               Line2D([], [], color="#6b6b6b", linewidth=1.4, label="Roads")]
    for frame, (_, label, marker, colour, size) in zip(f.points, POINT_LAYERS, strict=True):
        if len(frame):
            axes.scatter(frame.geometry.x, frame.geometry.y, s=size * scale, marker=marker,
                         c=colour, linewidths=0, zorder=4)
            handles.append(Line2D([], [], color=colour, marker=marker, linestyle="",
                                  label=f"{label} ({len(frame):,})"))
    gpd.GeoSeries([f.outline], crs=CRS).boundary.plot(ax=axes, color="#222222", linewidth=2,
                                                      zorder=5)
    for code, name, shape in zip(f.wards.index, f.wards["name"], f.wards.geometry, strict=True):
        spot = shape.intersection(f.view).representative_point()  # the visible part's middle
        if code != ward_code and not spot.is_empty:
            axes.annotate(name, (spot.x, spot.y), ha="center", fontsize=7, color="#222222",
                          style="italic" if ward_code else "normal", zorder=6,
                          path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])
    axes.set_xlim(xmin, xmax)
    axes.set_ylim(ymin, ymax)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel("")
    axes.set_ylabel("")
    _scale_bar(axes, f.view.bounds)
    _north_arrow(axes)
    axes.legend(handles=handles, loc="lower right", fontsize=7, framealpha=0.9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return AreaMap(buffer.getvalue(), _from_osm(f.water, f.roads, f.buildings, *f.points))


def _city_box() -> tuple[float, float, float, float]:
    x, y = BAC_GIANG.centre_metric()
    return x - 1000, y - 1000, x + 1000, y + 1000


def _scale_bar(axes: object, bounds: tuple[float, float, float, float]) -> None:
    """A bar of a round length (1, 2 or 5 × 10ⁿ m) near a fifth of the map's width."""
    xmin, ymin, xmax, ymax = bounds
    want = (xmax - xmin) / 5
    length = max(b * 10 ** e for e in range(0, 6) for b in (1, 2, 5) if b * 10 ** e <= want)
    x0, y0 = xmin + 0.04 * (xmax - xmin), ymin + 0.04 * (ymax - ymin)
    axes.plot([x0, x0 + length], [y0, y0], color="black", linewidth=3,  # type: ignore[attr-defined]
              solid_capstyle="butt", zorder=7)
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    axes.annotate(text, (x0 + length / 2, y0), xytext=(0, 4), textcoords="offset points",  # type: ignore[attr-defined]
                  ha="center", fontsize=8, zorder=7)


def _north_arrow(axes: object) -> None:
    axes.annotate("N", xy=(0.95, 0.95), xytext=(0.95, 0.86), xycoords="axes fraction",  # type: ignore[attr-defined]
                  ha="center", va="center", fontsize=10, fontweight="bold",
                  arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.5})
