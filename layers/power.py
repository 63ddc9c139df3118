"""Power distribution from substation to service point.

Substations are the sources; lines, transformers and switches are edges of the power network;
service points carry the customers. A normally-open tie is a switch with ``normal_state='open'``
and ``is_tie``: closing it transfers load between feeders.
"""

from sqlalchemy import Boolean, Column, Float, Integer, Text

from layers._spec import LayerSpec
from layers._style import column, line, point
from twin.schema import asset_table, metres, one_of, positive

VOLTAGE_LEVELS = ("HV", "MV", "LV")
SWITCH_STATES = ("open", "closed")

substations = asset_table(
    "substations", "SUB", "POINT",
    Column("name", Text),
    Column("primary_kv", Float), Column("secondary_kv", Float),
    Column("capacity_kva", Float),
    comment="Substations feeding the MV network",
)

power_lines = asset_table(
    "power_lines", "PL", "LINESTRING",
    Column("voltage_level", Text, nullable=False),
    Column("voltage_kv", Float),
    Column("construction", Text, nullable=False, server_default="overhead",
           comment="overhead (line) or underground (cable)"),
    Column("conductor", Text),
    Column("rated_current_a", Float),
    metres("depth_m", "burial depth of an underground cable"),
    one_of("voltage_level", VOLTAGE_LEVELS),
    one_of("construction", ("overhead", "underground")),
    comment="MV and LV overhead lines and underground cables",
)

transformers = asset_table(
    "transformers", "TR", "POINT",
    Column("capacity_kva", Float, comment="rated capacity (kVA); unknown in some sources (OSM)"),
    Column("primary_kv", Float), Column("secondary_kv", Float),
    Column("mounting", Text, comment="pole, pad, kiosk"),
    positive("capacity_kva"),
    comment="Distribution transformers (MV/LV)",
)

power_switches = asset_table(
    "power_switches", "SW", "POINT",
    Column("switch_type", Text, comment="breaker, recloser, load_break, disconnector, fuse"),
    Column("normal_state", Text, nullable=False, server_default="closed"),
    Column("is_tie", Boolean, nullable=False, server_default="false",
           comment="a normally-open point between feeders"),
    Column("voltage_level", Text),
    one_of("normal_state", SWITCH_STATES),
    comment="Switches with their normal state; ties are normally open",
)

service_points = asset_table(
    "service_points", "SP", "POINT",
    Column("customers", Integer, nullable=False, server_default="1"),
    Column("demand_kw", Float),
    Column("building_id", Text),
    positive("customers"),
    comment="Where customers are supplied, with customer counts",
)

LAYERS = [
    LayerSpec(substations, "Substations", network="power", style=column(
        (220, 60, 60, 255), radius_m=12.0, height_m=6.0, min_zoom=12)),
    LayerSpec(power_lines, "Power lines and cables", network="power", style=line(
        (240, 140, 30, 255), width_m=0.8, color_by="voltage_level",
        palette=(("MV", (240, 100, 30, 255)), ("LV", (250, 180, 60, 255))),
        default_height_m=8.0, depth_attribute="depth_m")),
    LayerSpec(transformers, "Transformers", network="power", style=column(
        (230, 90, 40, 255), radius_m=1.5, height_m=3.0)),
    LayerSpec(power_switches, "Power switches", network="power", style=point(
        (250, 230, 60, 255), radius_m=1.5, color_by="normal_state",
        palette=(("open", (255, 255, 255, 255)),))),
    LayerSpec(service_points, "Power service points", network="power", style=point(
        (250, 160, 90, 200), radius_m=0.6, visible=False, min_zoom=15)),
]
