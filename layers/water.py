"""Water supply: pipes, valves, hydrants, junctions, service connections, sources, tanks, pumps.

Valves and pumps are points in the map and edges in the network (``network_edges``), as in EPANET
and WNTR; pipes are edges between junctions. Depth is of the pipe crown below ground.
"""

from sqlalchemy import Column, Float, ForeignKey, Integer, Text

from layers._spec import LayerSpec
from layers._style import column, line, point
from twin.schema import asset_table, metres, one_of, positive

DEVICE_STATES = ("open", "closed")

water_pipes = asset_table(
    "water_pipes", "WP", "LINESTRING",
    Column("diameter_mm", Float, comment="internal diameter (mm)"),
    Column("material", Text, comment="PVC, HDPE, DI, CI, steel, AC, ..."),
    metres("depth_m", "depth of the pipe crown below ground"),
    metres("length_m", "hydraulic length (may differ from the drawn line)"),
    Column("roughness", Float, comment="Hazen-Williams C"),
    Column("normal_state", Text, nullable=False, server_default="open"),
    one_of("normal_state", DEVICE_STATES),
    positive("diameter_mm"),
    positive("depth_m"),
    comment="Water mains and distribution pipes",
)

water_valves = asset_table(
    "water_valves", "WV", "POINT",
    Column("valve_type", Text, comment="gate, butterfly, PRV, PSV, FCV, TCV, check, ..."),
    Column("diameter_mm", Float),
    Column("normal_state", Text, nullable=False, server_default="open"),
    Column("pipe_id", Text, ForeignKey("water_pipes.id"), index=True, comment="pipe it sits on"),
    metres("depth_m", "depth below ground"),
    one_of("normal_state", DEVICE_STATES),
    comment="Valves with their normal state (isolation valves, control valves)",
)

hydrants = asset_table(
    "hydrants", "HYD", "POINT",
    Column("hydrant_type", Text, comment="pillar, underground, wall"),
    Column("diameter_mm", Float),
    comment="Fire hydrants",
)

water_junctions = asset_table(
    "water_junctions", "WJ", "POINT",
    metres("elevation_m", "ground elevation above datum"),
    Column("base_demand_lps", Float, comment="base demand (L/s)"),
    metres("depth_m", "depth of the connection below ground"),
    comment="Junctions where pipes meet (EPANET junctions)",
)

water_service_connections = asset_table(
    "water_service_connections", "WSC", "POINT",
    Column("customers", Integer, nullable=False, server_default="1"),
    Column("demand_m3_per_day", Float),
    Column("building_id", Text, comment="building served, when known"),
    positive("customers"),
    comment="Service connections to customers, with customer counts",
)

water_sources = asset_table(
    "water_sources", "WS", "POINT",
    Column("name", Text),
    Column("source_type", Text, comment="treatment_plant, reservoir, well"),
    metres("head_m", "total head"),
    Column("capacity_m3_per_day", Float),
    comment="Where water enters the network (EPANET reservoirs)",
)

water_tanks = asset_table(
    "water_tanks", "WT", "POINT",
    Column("name", Text),
    metres("elevation_m", "base elevation"),
    metres("min_level_m", "minimum level"),
    metres("max_level_m", "maximum level"),
    metres("diameter_m", "diameter"),
    Column("capacity_m3", Float),
    comment="Storage tanks",
)

water_pumps = asset_table(
    "water_pumps", "WPU", "POINT",
    Column("name", Text),
    Column("power_kw", Float, comment="rated power (kW)"),
    Column("pump_type", Text, comment="POWER or HEAD curve (EPANET)"),
    comment="Pumps; fed by a power node through ``dependencies``",
)

LAYERS = [
    LayerSpec(water_pipes, "Water pipes", network="water", style=line(
        (40, 110, 230, 255), width_m=1.0, depth_attribute="depth_m")),
    LayerSpec(water_valves, "Water valves", network="water", style=point(
        (20, 60, 180, 255), radius_m=1.0, depth_attribute="depth_m", color_by="normal_state",
        palette=(("closed", (255, 255, 255, 255)),))),
    LayerSpec(hydrants, "Hydrants", network="water", style=column(
        (230, 40, 40, 255), radius_m=0.3, height_m=0.8, min_zoom=15)),
    LayerSpec(water_junctions, "Water junctions", network="water", style=point(
        (80, 140, 230, 255), radius_m=0.5, depth_attribute="depth_m", visible=False, min_zoom=15)),
    LayerSpec(water_service_connections, "Water service connections",
              network="water", style=point((100, 170, 240, 200), radius_m=0.5, visible=False,
                                           min_zoom=15)),
    LayerSpec(water_sources, "Water sources", network="water", style=column(
        (30, 80, 200, 255), radius_m=15.0, height_m=5.0, min_zoom=12)),
    LayerSpec(water_tanks, "Water tanks", network="water", style=column(
        (70, 130, 220, 255), radius_m=8.0, height_m=10.0, radius_attribute="diameter_m",
        height_attribute="max_level_m", min_zoom=12)),
    LayerSpec(water_pumps, "Water pumps", network="water", style=column(
        (30, 60, 160, 255), radius_m=2.0, height_m=2.0)),
]
