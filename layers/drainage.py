"""Drainage: gravity pipes between manholes, ending at outfalls into the river."""

from sqlalchemy import Column, Float, Text

from layers._spec import LayerSpec
from layers._style import line, point
from twin.schema import asset_table, metres, positive

drainage_pipes = asset_table(
    "drainage_pipes", "DP", "LINESTRING",
    Column("diameter_mm", Float, comment="internal diameter or height (mm)"),
    Column("shape", Text, comment="circular, box, egg"),
    Column("material", Text),
    metres("depth_start_m", "invert depth below ground at the upstream end"),
    metres("depth_end_m", "invert depth below ground at the downstream end"),
    Column("kind", Text, comment="storm, sewer, combined"),
    positive("diameter_mm"),
    comment="Drainage and sewer pipes, drawn from upstream to downstream",
)

manholes = asset_table(
    "manholes", "MH", "POINT",
    metres("depth_m", "depth from cover to invert"),
    metres("rim_elevation_m", "cover elevation above datum"),
    Column("cover_type", Text),
    positive("depth_m"),
    comment="Manholes and inspection chambers",
)

outfalls = asset_table(
    "outfalls", "OUT", "POINT",
    Column("receiving_water", Text, comment="river or lake it discharges into"),
    metres("invert_elevation_m", "invert elevation above datum"),
    comment="Where drainage leaves the network",
)

LAYERS = [
    LayerSpec(drainage_pipes, "Drainage pipes", network="drainage", style=line(
        (150, 100, 60, 255), width_m=1.2, depth_attribute="depth_start_m",
        depth_end_attribute="depth_end_m")),
    LayerSpec(manholes, "Manholes", network="drainage", style=point(
        (120, 80, 50, 255), radius_m=0.8, visible=False, min_zoom=15)),
    LayerSpec(outfalls, "Outfalls", network="drainage", style=point((90, 60, 40, 255), radius_m=3.0)),
]
