"""Which asset ids exist in the twin, whatever their layer (found from the id's prefix)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Connection, select

from layers import LAYERS

TABLE_BY_PREFIX: dict[str, sa.Table] = {
    spec.prefix: spec.table for spec in LAYERS.values() if spec.prefix is not None
}


def unknown_assets(conn: Connection, asset_ids: Iterable[str]) -> set[str]:
    """The ids among ``asset_ids`` that name no asset of any layer."""
    by_table: dict[str, list[str]] = {}
    missing: set[str] = set()
    for asset_id in set(asset_ids):
        prefix = asset_id.split("-", 1)[0]
        if prefix in TABLE_BY_PREFIX:
            by_table.setdefault(prefix, []).append(asset_id)
        else:
            missing.add(asset_id)
    for prefix, ids in by_table.items():
        table = TABLE_BY_PREFIX[prefix]
        found = set(conn.execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
        missing |= set(ids) - found
    return missing


def all_asset_ids(conn: Connection) -> set[str]:
    """Every asset id in the twin (some 220,000 for the demo city at scale 1: about 20 MB)."""
    query = sa.union_all(*(select(table.c.id) for table in TABLE_BY_PREFIX.values()))
    return set(conn.execute(query).scalars())


class AssetIndex:
    """A cache of the ids that exist, for checking every message cheaply; ids it has not seen are
    looked up in the database, so assets added while the ingester runs are found."""

    def __init__(self) -> None:
        self._known: set[str] | None = None

    def unknown(self, conn: Connection, asset_ids: Iterable[str]) -> set[str]:
        if self._known is None:
            self._known = all_asset_ids(conn)
        unseen = set(asset_ids) - self._known
        if not unseen:
            return set()
        missing = unknown_assets(conn, unseen)
        self._known |= unseen - missing
        return missing
