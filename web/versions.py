"""The version of the data behind a cache: tiles (per collection), extents and the simulation
snapshot ask "have these tables changed?" on every request.

The answer is one indexed read of ``data_versions`` (``twin.changes``: a statement trigger bumps a
table's row in the writing transaction), ~0.1 ms whatever the tables' size and however busy the
live feed. The tables the live feed writes carry no version (asking for one is an error): the
simulation snapshot checks ``live_current`` its own way. A table never written since tracking
began has no row yet: version 0. Callers on SQLAlchemy connections use ``data_version``, the tile
server on asynchronous psycopg connections ``data_version_async``; both give the same text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from psycopg import AsyncConnection
from sqlalchemy import Connection, text

from twin.changes import UNTRACKED

VERSIONS = ("SELECT table_name, version, changed_at FROM data_versions "
            "WHERE table_name = ANY(%(tables)s)")


def _checked(tables: tuple[str, ...]) -> list[str]:
    untracked = UNTRACKED.intersection(tables)
    if untracked:
        raise ValueError(f"no version is kept of {sorted(untracked)}: nothing may cache them")
    return list(tables)


def _digest(tables: tuple[str, ...], rows: Iterable[Sequence[object]]) -> str:
    found = {row[0]: (row[1], str(row[2])) for row in rows}
    versions = [(table, *found.get(table, (0, ""))) for table in tables]
    return hashlib.blake2b(repr(versions).encode(), digest_size=8).hexdigest()


def data_version(conn: Connection, tables: tuple[str, ...]) -> str:
    """A short text that changes whenever a write to one of ``tables`` commits."""
    rows = conn.execute(text(VERSIONS.replace("%(tables)s", ":tables")),
                        {"tables": _checked(tables)}).all()
    return _digest(tables, rows)


async def data_version_async(conn: AsyncConnection, tables: tuple[str, ...]) -> str:
    """``data_version`` over an asynchronous psycopg connection."""
    cursor = await conn.execute(VERSIONS, {"tables": _checked(tables)})
    return _digest(tables, await cursor.fetchall())
