"""Street trees: their size matters to lighting (crowns block light) and to planners."""

from sqlalchemy import Column, Date, Text

from layers._spec import LayerSpec
from layers._style import column
from twin.schema import asset_table, metres, positive

trees = asset_table(
    "trees", "TRE", "POINT",
    Column("species", Text),
    metres("height_m", "total height"),
    metres("trunk_diameter_m", "trunk diameter at breast height"),
    metres("crown_diameter_m", "crown diameter"),
    Column("planted_date", Date),
    Column("last_inspected", Date, comment="date of the last safety inspection of the tree"),
    positive("height_m"),
    positive("crown_diameter_m"),
    comment="Trees with height and crown for 3D and for light blocking",
)

LAYERS = [LayerSpec(trees, "Trees", style=column(
    (60, 150, 70, 230), radius_m=2.0, height_m=8.0, radius_attribute="crown_diameter_m",
    height_attribute="height_m", min_zoom=15))]
