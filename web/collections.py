"""The collections the web serves: every layer of ``layers.LAYERS`` plus the network topology.

A collection knows its table, geometry type and which columns it publishes. Identifiers come
from the table definitions only, so the SQL modules can quote them safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Table
from sqlalchemy.dialects.postgresql import JSONB

from layers import LAYERS, network_edges, network_nodes
from twin.errors import TwinError


class NotFound(TwinError, LookupError):
    """A collection, feature or asset that does not exist; the web answers 404 with the text."""


@dataclass(frozen=True)
class Column:
    """A published column: its name and the Python type a query value is parsed to."""

    name: str
    kind: type
    plain: bool
    """True for scalars that a vector tile can carry (False for JSON)."""


@dataclass(frozen=True)
class Collection:
    """One OGC API collection: a table with an ``id`` text key and a ``geom`` in EPSG:4326."""

    id: str
    title: str
    description: str
    table: Table
    geometry_type: str
    network: str | None

    @property
    def relation(self) -> str:
        """SQL ``FROM`` item aliased ``t`` (``t.id``, ``t.geom`` in EPSG:4326, the columns), from
        the quoted table name only."""
        return f"{quote(self.table.name)} AS t"

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables its rows come from (what a cache of it depends on)."""
        return (self.table.name,)

    @property
    def columns(self) -> tuple[Column, ...]:
        """Every column but ``id`` and ``geom``, in table order."""
        return tuple(_column(c) for c in self.table.columns if c.name not in ("id", "geom"))

    @property
    def plain_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.plain)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _column(column: Any) -> Column:
    for sql_type, kind in ((Boolean, bool), (Integer, int), (Float, float),
                           (DateTime, datetime), (Date, date)):
        if isinstance(column.type, sql_type):
            return Column(column.name, kind, plain=True)
    return Column(column.name, str, plain=not isinstance(column.type, JSONB))


@cache
def collections() -> dict[str, Collection]:
    """Every collection by id: the layers in registry order, then network nodes and edges."""
    found = {
        name: Collection(name, spec.title, spec.table.comment or spec.title, spec.table,
                         spec.geometry_type, spec.network)
        for name, spec in LAYERS.items()
    }
    found["network_nodes"] = Collection(
        "network_nodes", "Network nodes", network_nodes.comment or "", network_nodes, "Point",
        None)
    found["network_edges"] = Collection(
        "network_edges", "Network edges",
        "Edges of every network, drawn as straight lines between their nodes", network_edges,
        "LineString", None)
    return found


def quote(identifier: str) -> str:
    """A PostgreSQL quoted identifier."""
    return '"' + identifier.replace('"', '""') + '"'



def get_collection(name: str) -> Collection:
    """The collection called ``name``, or NotFound that lists the known ones."""
    try:
        return collections()[name]
    except KeyError:
        raise NotFound(f"unknown collection '{name}'; known collections: "
                       f"{', '.join(collections())}") from None
