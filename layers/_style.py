"""How each layer is drawn in 3D, defined once for the browser map (served by ``/api/styles``) and
for pydeck (``web.export_html``).

A style names the deck.gl layer that draws the layer and where its sizes come from. Every size is
in metres; colours are RGBA 0-255. Heights are above ground, depths below it: in the map's
underground mode a feature with a depth is drawn at ``-depth`` (times the map's exaggeration),
beneath a translucent ground; otherwise it lies at its height (or the ground).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

RGBA = tuple[int, int, int, int]

DeckKind = Literal["ColumnLayer", "PathLayer", "PolygonLayer", "ScatterplotLayer"]

ROLE_COLOURS: dict[str, RGBA] = {
    "failed": (220, 0, 0, 255),
    "affected": (255, 0, 200, 255),
    "operate": (0, 230, 255, 255),
}
"""Colours of a simulation result's roles (``role`` of its GeoJSON features): what failed, what
it takes down, the switches and valves to operate."""


@dataclass(frozen=True)
class LayerStyle:
    """One layer's 3D style.

    - ``kind``: the deck.gl layer: ColumnLayer (extruded disc: poles, trees, tanks),
      PathLayer (lines), PolygonLayer (areas, extruded when ``height_attribute`` is set),
      ScatterplotLayer (points drawn as discs at their height or depth).
    - ``color``: RGBA; ``color_by`` names a text column whose values ``palette`` colours
      (values not in it keep ``color``). ``line_color`` outlines polygons (None: no outline).
    - ``width_m``: path width, or point and column radius (m); ``width_attribute`` reads the
      path width from a column (m) and ``radius_attribute`` a diameter (m, radius = value / 2).
    - ``height_attribute``: a column extrusion (ColumnLayer, PolygonLayer) or the height of a
      point or line above ground (m); ``default_height_m`` where it is null or absent.
    - ``depth_attribute``: depth below ground (m) of a point or line; ``depth_end_attribute`` the
      depth at a line's last vertex (drainage inverts), interpolated along it. Where a depth is
      known it wins over the height.
    - ``view_cone``: draw each feature's field of view from ``heading_deg`` (clockwise from
      north), ``fov_deg`` and ``range_m`` (cameras).
    - ``base_map``: the MapLibre base map draws this layer too (roads, water, ward outlines).
    - ``visible``: shown when the map opens; ``min_zoom``: the browser fetches its tiles from
      this web-mercator zoom on; ``min_pixels``: features never shrink below this on screen.
    """

    kind: DeckKind
    color: RGBA
    color_by: str | None = None
    palette: tuple[tuple[str, RGBA], ...] = ()
    line_color: RGBA | None = None
    width_m: float = 1.0
    width_attribute: str | None = None
    radius_attribute: str | None = None
    height_attribute: str | None = None
    default_height_m: float = 0.0
    depth_attribute: str | None = None
    depth_end_attribute: str | None = None
    view_cone: bool = False
    base_map: bool = False
    visible: bool = True
    min_zoom: int = 14
    min_pixels: float = 1.0

    @property
    def underground(self) -> bool:
        """Whether the underground mode draws it below the ground."""
        return self.depth_attribute is not None

    def attributes(self) -> list[str]:
        """The columns the style reads (for narrowing a read)."""
        named = (self.color_by, self.width_attribute, self.radius_attribute,
                 self.height_attribute, self.depth_attribute, self.depth_end_attribute)
        cone = ("heading_deg", "fov_deg", "range_m") if self.view_cone else ()
        return [n for n in (*named, *cone) if n is not None]

    def to_json(self) -> dict[str, Any]:
        """The JSON the browser map reads: the fields above, ``palette`` as an object."""
        data = asdict(self)
        data["palette"] = {value: list(rgba) for value, rgba in self.palette}
        data["underground"] = self.underground
        return data


def column(color: RGBA, *, radius_m: float, height_m: float, **kw: Any) -> LayerStyle:
    """An extruded disc (pole, tree, tank) of ``radius_m`` and default height ``height_m``."""
    return LayerStyle("ColumnLayer", color, width_m=radius_m, default_height_m=height_m, **kw)


def point(color: RGBA, *, radius_m: float = 1.0, **kw: Any) -> LayerStyle:
    """A disc at the point's height or depth (luminaire, valve, sensor)."""
    return LayerStyle("ScatterplotLayer", color, width_m=radius_m, min_pixels=2.0, **kw)


def line(color: RGBA, *, width_m: float = 1.0, **kw: Any) -> LayerStyle:
    """A line (pipe, cable, road) at its height, or at its depth in the underground mode."""
    return LayerStyle("PathLayer", color, width_m=width_m, **kw)


def area(color: RGBA, **kw: Any) -> LayerStyle:
    """A polygon, extruded when it has a ``height_attribute``."""
    return LayerStyle("PolygonLayer", color, **kw)
