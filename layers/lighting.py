"""Street lighting: poles and the luminaires mounted on them.

What powers a luminaire is a row of ``dependencies`` (luminaire → power node), as for every
cross-network link; ``road_id`` names the road it is meant to light.
"""

from sqlalchemy import Column, Float, ForeignKey, Text

from layers._spec import LayerSpec
from layers._style import column, point
from twin.schema import asset_table, metres, one_of, positive

POLE_PURPOSES = ("lighting", "power", "telecom", "shared")
LAMP_TYPES = ("LED", "HPS", "MH", "CFL", "LPS", "incandescent", "other")

poles = asset_table(
    "poles", "POL", "POINT",
    metres("height_m", "height above ground"),
    Column("material", Text, comment="concrete, steel, wood, composite"),
    Column("purpose", Text, nullable=False, server_default="lighting"),
    one_of("purpose", POLE_PURPOSES),
    positive("height_m"),
    comment="Poles for lighting, power lines and telecom",
)

luminaires = asset_table(
    "luminaires", "LUM", "POINT",
    Column("pole_id", Text, ForeignKey("poles.id"), index=True),
    Column("road_id", Text, ForeignKey("roads.id"), index=True, comment="the road it lights"),
    metres("mounting_height_m", "height of the light centre above the road"),
    metres("overhang_m", "horizontal offset of the light centre from the pole towards the road"),
    Column("tilt_deg", Float, comment="upward tilt of the luminaire (deg)"),
    Column("orientation_deg", Float,
           comment="azimuth of the C0 photometric plane, clockwise from north (deg)"),
    Column("lamp_type", Text),
    Column("wattage_w", Float, comment="rated power (W)"),
    Column("photometry", Text, comment="name of the photometric distribution (IES/LDT or built-in)"),
    Column("dimming_profile", Text, comment="name of the dimming schedule"),
    one_of("lamp_type", LAMP_TYPES),
    positive("mounting_height_m"),
    positive("wattage_w"),
    comment="Street-light luminaires with mounting geometry and photometry",
)

LAYERS = [
    LayerSpec(poles, "Poles", style=column(
        (150, 150, 160, 255), radius_m=0.4, height_m=8.0, height_attribute="height_m", min_zoom=15)),
    LayerSpec(luminaires, "Luminaires", style=point(
        (255, 210, 80, 255), radius_m=1.5, height_attribute="mounting_height_m",
        default_height_m=8.0)),
]
