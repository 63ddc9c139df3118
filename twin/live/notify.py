"""Change notifications: ``NOTIFY twin_live, '<json>'`` sent inside the writing transaction, so
listeners hear of a change only once it is committed. Payloads are documented in docs/live.md."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

CHANNEL = "twin_live"
MAX_PAYLOAD = 7900
"""PostgreSQL refuses NOTIFY payloads of 8000 bytes or more."""


def notify(conn: Connection, payloads: Iterable[dict[str, Any]]) -> None:
    """Queue one notification per payload (delivered at commit, in order)."""
    texts = [json.dumps(p, separators=(",", ":"), default=str) for p in payloads]
    if texts:
        conn.execute(sa.text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:texts AS text[])) p"),
                     {"channel": CHANNEL, "texts": texts})


def assets_payload(kind: str, asset_ids: list[str], count: int) -> dict[str, Any]:
    """One summary of many changes: how many, and the assets (as many as fit)."""
    payload: dict[str, Any] = {"kind": kind, "asset_id": None, "count": count,
                               "asset_ids": [], "truncated": False}
    room = MAX_PAYLOAD - 200
    for asset_id in asset_ids:
        room -= len(asset_id) + 3
        if room < 0:
            payload["truncated"] = True
            break
        payload["asset_ids"].append(asset_id)
    return payload
