"""Telecom: a passive optical network from central offices (OLTs) through cabinets and splitters
to customer terminals, over fibre cables laid in ducts or on poles."""

from sqlalchemy import Column, Float, Integer, Text

from layers._spec import LayerSpec
from layers._style import column, line, point
from twin.schema import asset_table, metres, positive

central_offices = asset_table(
    "central_offices", "CO", "POINT",
    Column("name", Text),
    Column("olt_ports", Integer, comment="PON ports on its OLTs"),
    comment="Central offices housing OLTs: the sources of the fibre network",
)

telecom_cabinets = asset_table(
    "telecom_cabinets", "CAB", "POINT",
    Column("cabinet_type", Text, comment="street cabinet, fibre distribution hub"),
    Column("operator", Text),
    comment="Street cabinets; active ones are fed by a power node through ``dependencies``",
)

splitters = asset_table(
    "splitters", "SPL", "POINT",
    Column("ratio", Integer, comment="split ratio 1:N, N here"),
    Column("split_level", Integer, comment="1 in a cabinet, 2 near customers"),
    Column("cabinet_id", Text, comment="cabinet housing it, when in one"),
    positive("ratio"),
    comment="Passive optical splitters",
)

fibre_cables = asset_table(
    "fibre_cables", "FC", "LINESTRING",
    Column("fibre_count", Integer),
    Column("construction", Text, comment="duct, aerial, buried"),
    metres("depth_m", "burial depth when underground"),
    comment="Fibre optic cables",
)

ducts = asset_table(
    "ducts", "DU", "LINESTRING",
    Column("diameter_mm", Float),
    Column("ways", Integer, comment="number of bores"),
    Column("material", Text),
    metres("depth_m", "depth below ground"),
    comment="Underground ducts that carry cables",
)

customer_terminals = asset_table(
    "customer_terminals", "ONT", "POINT",
    Column("households", Integer, nullable=False, server_default="1"),
    Column("service", Text, comment="FTTH, FTTB, business"),
    Column("building_id", Text),
    positive("households"),
    comment="Customer terminals (ONTs) with the households they serve",
)

LAYERS = [
    LayerSpec(central_offices, "Central offices (OLT)", network="telecom", style=column(
        (160, 80, 220, 255), radius_m=10.0, height_m=8.0, min_zoom=12)),
    LayerSpec(telecom_cabinets, "Telecom cabinets", network="telecom", style=column(
        (170, 110, 230, 255), radius_m=0.8, height_m=1.5)),
    LayerSpec(splitters, "Optical splitters", network="telecom", style=point(
        (190, 140, 240, 255), radius_m=0.6, visible=False, min_zoom=15)),
    LayerSpec(fibre_cables, "Fibre cables", network="telecom", style=line(
        (180, 90, 240, 255), width_m=0.5, default_height_m=6.0, depth_attribute="depth_m")),
    LayerSpec(ducts, "Ducts", network="telecom", style=line(
        (130, 130, 130, 255), width_m=0.6, depth_attribute="depth_m", visible=False)),
    LayerSpec(customer_terminals, "Customer terminals", network="telecom", style=point(
        (210, 170, 250, 200), radius_m=0.5, visible=False, min_zoom=15)),
]
