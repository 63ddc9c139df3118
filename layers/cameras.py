"""Cameras (security and traffic) and sensors, with what they look at or measure.

Their power and telecom feeds are rows of ``dependencies``.
"""

from sqlalchemy import Column, Float, Text

from layers._spec import LayerSpec
from layers._style import point
from twin.schema import asset_table, metres, one_of, positive

cameras = asset_table(
    "cameras", "CAM", "POINT",
    Column("purpose", Text, nullable=False, server_default="security"),
    Column("heading_deg", Float, comment="direction of view, clockwise from north (deg)"),
    Column("fov_deg", Float, comment="horizontal field of view (deg)"),
    metres("range_m", "useful viewing distance"),
    metres("height_m", "mounting height"),
    Column("camera_type", Text, comment="fixed, dome, ptz, anpr"),
    Column("stream_url", Text, comment="snapshot or stream reference"),
    one_of("purpose", ("security", "traffic")),
    positive("range_m"),
    comment="Surveillance and traffic cameras with their field of view",
)

sensors = asset_table(
    "sensors", "SEN", "POINT",
    Column("measures", Text, nullable=False,
           comment="pressure, flow, water_level, voltage, load, air_quality, noise, ..."),
    Column("unit", Text, comment="unit of its readings (UCUM): kPa, m3/h, m, V, kW, ..."),
    Column("watched_asset_id", Text, index=True, comment="the asset it measures, when any"),
    metres("height_m", "mounting height"),
    comment="Sensors and what they measure",
)

LAYERS = [
    LayerSpec(cameras, "Cameras", style=point(
        (40, 200, 255, 255), radius_m=2.0, height_attribute="height_m", default_height_m=6.0,
        view_cone=True)),
    LayerSpec(sensors, "Sensors", style=point(
        (0, 220, 160, 255), radius_m=1.5, height_attribute="height_m", default_height_m=3.0)),
]
