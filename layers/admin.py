"""Administrative areas: districts, wards/communes and their residential groups (thôn, tổ dân
phố), so every asset and KPI rolls up by ward."""

from sqlalchemy import Column, ForeignKey, Index, Table, Text

from layers._spec import LayerSpec
from layers._style import area
from twin.schema import geometry_column, metadata

districts = Table(
    "districts",
    metadata,
    Column("id", Text, primary_key=True, comment="GSO code, e.g. 213"),
    Column("name", Text, nullable=False),
    Column("province_code", Text),
    geometry_column("MULTIPOLYGON"),
    comment="Districts (huyện, thành phố) with their GSO codes",
)

wards = Table(
    "wards",
    metadata,
    Column("id", Text, primary_key=True, comment="GSO code, e.g. 07201"),
    Column("name", Text, nullable=False),
    Column("kind", Text, comment="Phường (ward) or Xã (commune)"),
    Column("district_code", Text, ForeignKey("districts.id")),
    geometry_column("MULTIPOLYGON"),
    Index("ix_wards_district_code", "district_code"),
    comment="Wards and communes with their GSO codes",
)

residential_groups = Table(
    "residential_groups",
    metadata,
    Column("id", Text, primary_key=True, comment="ward code and number, e.g. 07201-TDP03"),
    Column("name", Text, nullable=False),
    Column("kind", Text, comment="Tổ dân phố (in a ward) or Thôn (in a commune)"),
    Column("ward_code", Text,
           comment="GSO code of the ward it lies in (from its point on surface)"),
    geometry_column("MULTIPOLYGON"),
    Index("ix_residential_groups_ward_code", "ward_code"),
    comment="Residential groups (thôn, tổ dân phố) within each ward: the programme counts "
            "fibre by them",
)

LAYERS = [
    LayerSpec(districts, "Districts", style=area(
        (0, 0, 0, 0), line_color=(90, 90, 110, 255), base_map=True, visible=False, min_zoom=10)),
    LayerSpec(wards, "Wards and communes", style=area(
        (0, 0, 0, 0), line_color=(120, 120, 150, 255), base_map=True, min_zoom=10)),
    LayerSpec(residential_groups, "Residential groups", style=area(
        (0, 0, 0, 0), line_color=(150, 150, 170, 200), base_map=True, visible=False,
        min_zoom=13)),
]
