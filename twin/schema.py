"""The metadata every layer's table is registered in, and the columns all assets share.

Tables are plain SQLAlchemy Core tables: the twin reads and writes GeoDataFrames in bulk, so no ORM
classes stand in between. Asset ids are stable, human-readable text (``LUM-000123``): each asset
table has its own sequence and a server default that formats the next value with the layer's prefix,
so bulk loads that bring no ids get them from the database, and those that do (the demo) keep theirs.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Sequence,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

STORAGE_SRID = 4326

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

CONDITIONS = ("good", "fair", "poor", "failed")


def geometry_column(kind: str) -> Column[Any]:
    """The ``geom`` column in the storage CRS (EPSG:4326) with a GiST index."""
    return Column("geom", Geometry(kind, srid=STORAGE_SRID, spatial_index=True), nullable=False)


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_valid")


def positive(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_not_negative")


ASSET_ID_FUNCTION = "twin_asset_id"
"""SQL function (prefix, number) → asset id, created by the first migration; the same rule as
:func:`asset_id`."""


def asset_id(prefix: str, number: int) -> str:
    """``LUM-000123``: the number zero-padded to six digits (longer numbers are kept whole)."""
    return f"{prefix}-{number:06d}"


def asset_table(name: str, prefix: str, geometry_kind: str, *extra: Any, comment: str) -> Table:
    """An asset table: id, geometry, ward, provenance, age, condition, attributes, then ``extra``.

    ``extra`` holds the layer's own columns and constraints. Heights and depths are in metres
    (column names end in ``_m``), angles in degrees (``_deg``), power in W/kW/kVA as named.
    The id prefix is kept in the table's ``info``.
    """
    seq = Sequence(f"{name}_id_seq", metadata=metadata)
    return Table(
        name,
        metadata,
        Column(
            "id",
            Text,
            primary_key=True,
            server_default=text(f"{ASSET_ID_FUNCTION}('{prefix}', nextval('{seq.name}'))"),
            comment=f"stable asset id shown to users, {prefix}-NNNNNN",
        ),
        geometry_column(geometry_kind),
        Column("ward_code", Text, index=True, comment="GSO code of the ward the asset lies in"),
        Column("source", Text, nullable=False, server_default="manual",
               comment="where the row came from: demo, osm, file, epanet, manual"),
        Column("source_ref", Text, comment="id in the source: osm:node/123, Hanoi.inp:pipe/7"),
        Column("install_year", Integer),
        Column("condition", Text, comment="good, fair, poor or failed"),
        Column("attributes", JSONB, comment="source attributes that have no column of their own"),
        *extra,
        one_of("condition", CONDITIONS),
        Index(f"uq_{name}_source_ref", "source", "source_ref", unique=True,
              postgresql_where=text("source_ref IS NOT NULL")),
        comment=comment,
        info={"prefix": prefix},
    )


def metres(name: str, what: str) -> Column[Any]:
    return Column(name, Float, comment=f"{what} (m)")
