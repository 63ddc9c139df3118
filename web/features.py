"""SQL of OGC API Features: pages of features, one feature, and each collection's extent.

PostGIS writes the GeoJSON (``ST_AsGeoJSON`` inside ``json_build_object``), so a page of 10,000
features never becomes Python objects. Coordinates are EPSG:4326, 7 decimals (about 1 cm).
Identifiers come from the collection registry (quoted); every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from twin.read import BBox
from web.collections import Collection, quote


@dataclass(frozen=True)
class ItemsQuery:
    """What a client asked of a collection's items (already checked by ``web.params``)."""

    bbox: BBox | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    """column -> value (parsed to the column's type): features whose column equals it."""
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class Page:
    features: str
    """The features as a JSON array text."""
    matched: int
    returned: int


def feature_sql(collection: Collection) -> str:
    """SQL expression of one row of ``t`` as a GeoJSON Feature (json)."""
    pairs = ", ".join(f"'{c.name}', t.{quote(c.name)}" for c in collection.columns)
    return ("json_build_object('type', 'Feature', 'id', t.id, "
            "'geometry', ST_AsGeoJSON(t.geom, 7)::json, "
            f"'properties', json_build_object({pairs}))")


def _where(query: ItemsQuery) -> tuple[str, dict[str, Any]]:
    conditions: list[str] = ["true"]
    params: dict[str, Any] = {}
    if query.bbox is not None:
        conditions.append("t.geom && ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, 4326)")
        params.update(zip(("xmin", "ymin", "xmax", "ymax"), query.bbox, strict=True))
    for i, (name, value) in enumerate(query.filters.items()):
        conditions.append(f"t.{quote(name)} = :f{i}")
        params[f"f{i}"] = value
    return " AND ".join(conditions), params


def read_items(conn: Connection, collection: Collection, query: ItemsQuery) -> Page:
    """One page of features ordered by id, and how many features match in all."""
    where, params = _where(query)
    matched = conn.execute(text(f"SELECT count(*) FROM {collection.relation} WHERE {where}"),
                           params).scalar_one()
    page = text(
        f"SELECT coalesce(string_agg(f, ',' ORDER BY id), ''), count(*) FROM ("
        f"SELECT t.id, {feature_sql(collection)}::text AS f FROM {collection.relation} "
        f"WHERE {where} ORDER BY t.id LIMIT :limit OFFSET :offset) p"
    )
    features, returned = conn.execute(
        page, {**params, "limit": query.limit, "offset": query.offset}).one()
    return Page(f"[{features}]", int(matched), int(returned))


def read_item(conn: Connection, collection: Collection, item_id: str) -> str | None:
    """One feature as GeoJSON text, or None when the collection has no such id."""
    sql = text(f"SELECT {feature_sql(collection)}::text FROM {collection.relation} "
               "WHERE t.id = :id")
    return conn.execute(sql, {"id": item_id}).scalar_one_or_none()


def extents_sql(wanted: Iterable[Collection]) -> str | None:
    """One query for the collections' bounding boxes: rows of id, xmin, ymin, xmax, ymax (EPSG:4326;
    nulls for an empty collection); None when nothing is wanted."""
    parts = [f"SELECT '{c.id}' AS id, ST_Extent(t.geom)::geometry AS e FROM {c.relation}"
             for c in wanted]
    if not parts:
        return None
    return ("SELECT id, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            + " UNION ALL ".join(parts) + ") s")


def extents_of(rows: Iterable[Sequence[Any]]) -> dict[str, BBox | None]:
    """The rows of ``extents_sql`` by collection id (None for an empty collection)."""
    return {row[0]: (None if row[1] is None else tuple(row[1:])) for row in rows}


def read_extents(conn: Connection, wanted: Iterable[Collection]) -> dict[str, BBox | None]:
    """The collections' bounding boxes (EPSG:4326), None for an empty one; one query."""
    sql = extents_sql(wanted)
    return {} if sql is None else extents_of(conn.execute(text(sql)))
