"""One asset for the map's panel: its attributes and geometry, its latest live values and its
recent history. Ids name their layer by prefix (``LUM-000123``); topology ids (``PN-``, ``PE-``)
name the network tables; ward and district ids are their GSO codes."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from layers import EDGE_PREFIX, NODE_PREFIX
from twin.live import asset_history, live_current
from web.collections import Collection, NotFound, collections
from web.features import read_item

HISTORY_LIMIT = 100
"""Observations shown in an asset's recent history (newest kept)."""


def candidate_collections(asset_id: str) -> list[Collection]:
    """The collections an id can belong to, from its prefix."""
    found = collections()
    prefix = asset_id.split("-", 1)[0]
    if prefix in NODE_PREFIX.values():
        return [found["network_nodes"]]
    if prefix in EDGE_PREFIX.values():
        return [found["network_edges"]]
    by_prefix = [c for c in found.values()
                 if c.table.info.get("prefix") == prefix and "-" in asset_id]
    return by_prefix or [found["wards"], found["districts"]]


def latest_values(conn: Connection, asset_id: str) -> dict[str, Any] | None:
    """``{property: {"value", "unit", "observed_at"}}`` from the current live state, or None
    when no device ever reported on the asset."""
    c = live_current
    rows = conn.execute(select(c.c.property, c.c.value, c.c.value_text, c.c.unit, c.c.observed_at)
                        .where(c.c.asset_id == asset_id).order_by(c.c.property)).all()
    return {prop: {"value": text if value is None else value, "unit": unit,
                   "observed_at": at.isoformat()}
            for prop, value, text, unit, at in rows} or None


def recent_history(conn: Connection, asset_id: str) -> list[dict[str, Any]]:
    """The newest ``HISTORY_LIMIT`` observations of the asset, oldest first."""
    frame = asset_history(conn, asset_id, limit=HISTORY_LIMIT)
    return [{"property": r.property, "observed_at": r.observed_at.isoformat(),
             "value": r.value_text if pd.isna(r.value) else r.value, "unit": r.unit}
            for r in frame.itertuples()]


def read_asset(conn: Connection, asset_id: str) -> dict[str, Any]:
    """The asset as the app API gives it: id, layer, properties, geometry, live, history."""
    for collection in candidate_collections(asset_id):
        feature = read_item(conn, collection, asset_id)
        if feature is not None:
            parsed = json.loads(feature)
            return {"id": asset_id, "layer": collection.id, "properties": parsed["properties"],
                    "geometry": parsed["geometry"], "live": latest_values(conn, asset_id),
                    "history": recent_history(conn, asset_id)}
    raise NotFound(f"no asset '{asset_id}' in the twin")
