"""Rivers and lakes: not assets, but the base map is drawn from the twin's own data."""

from sqlalchemy import Column, Table, Text

from layers._spec import LayerSpec
from layers._style import area
from twin.schema import geometry_column, metadata

water_areas = Table(
    "water_areas",
    metadata,
    Column("id", Text, primary_key=True, comment="WA-NNNNNN or the source's id"),
    Column("name", Text),
    Column("kind", Text, comment="river, lake, pond, canal"),
    Column("source", Text, nullable=False, server_default="manual"),
    Column("source_ref", Text),
    geometry_column("MULTIPOLYGON"),
    comment="Rivers, lakes and ponds for the base map",
)

LAYERS = [LayerSpec(water_areas, "Rivers and lakes", style=area(
    (120, 170, 220, 200), base_map=True, min_zoom=10))]
