"""Roads as centrelines with the attributes lighting and traffic need, and buildings."""

from sqlalchemy import Boolean, Column, Integer, Text

from layers._spec import LayerSpec
from layers._style import area, line
from twin.schema import asset_table, metres, one_of, positive

ROAD_CLASSES = (
    "motorway", "trunk", "primary", "secondary", "tertiary", "residential", "service",
    "living_street", "unclassified", "pedestrian", "track", "path",
)

roads = asset_table(
    "roads", "RD", "LINESTRING",
    Column("name", Text),
    Column("road_class", Text, nullable=False, server_default="unclassified"),
    metres("width_m", "carriageway width"),
    Column("lanes", Integer),
    Column("surface", Text, comment="asphalt, concrete, paving_stones, unpaved, ..."),
    Column("lit", Boolean, comment="whether the road is meant to be lit"),
    Column("oneway", Boolean),
    metres("footway_width_m", "width of each footway beside the carriageway, 0 if none"),
    one_of("road_class", ROAD_CLASSES),
    positive("width_m"),
    comment="Road centrelines, one row per segment between junctions",
)

buildings = asset_table(
    "buildings", "BLD", "MULTIPOLYGON",
    Column("name", Text),
    Column("use", Text, comment="residential, commercial, industrial, public, ..."),
    metres("height_m", "height above ground"),
    Column("levels", Integer),
    metres("ground_elevation_m", "ground elevation above mean sea level"),
    positive("height_m"),
    comment="Building footprints with heights for 3D extrusion",
)

LAYERS = [
    LayerSpec(roads, "Roads", network="road", style=line(
        (110, 110, 120, 255), width_m=6.0, width_attribute="width_m", base_map=True,
        min_zoom=13)),
    LayerSpec(buildings, "Buildings", style=area(
        (200, 195, 185, 230), height_attribute="height_m", default_height_m=6.0, color_by="use",
        palette=(("residential", (215, 205, 190, 230)), ("commercial", (160, 185, 215, 230)),
                 ("industrial", (190, 170, 200, 230)), ("public", (215, 180, 150, 230))))),
]
