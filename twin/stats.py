"""Counts of everything in the twin: per layer, nodes and edges per network, and the live state
(observations kept, messages dead-lettered, incidents not yet resolved)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, literal, select, union_all

from layers import LAYERS, network_edges, network_nodes
from twin.live import live_kpis


def twin_stats(conn: Connection) -> dict[str, Any]:
    """``{"layers": {name: rows}, "assets": total, "networks": {net: {"nodes", "edges"}},
    "live": {"observations", "dead_letters", "open_incidents"}}``."""
    counts = union_all(*(
        select(literal(name).label("layer"), func.count().label("rows")).select_from(spec.table)
        for name, spec in LAYERS.items()
    ))
    rows = {layer: count for layer, count in conn.execute(counts).all()}
    layers = {name: int(rows[name]) for name in LAYERS}
    networks: dict[str, dict[str, int]] = {}
    for table, key in ((network_nodes, "nodes"), (network_edges, "edges")):
        query = select(table.c.network, func.count()).group_by(table.c.network)
        for network, count in conn.execute(query).all():
            networks.setdefault(network, {"nodes": 0, "edges": 0})[key] = int(count)
    assets = sum(n for name, n in layers.items() if LAYERS[name].is_asset)
    return {"layers": layers, "assets": assets, "networks": dict(sorted(networks.items())),
            "live": live_kpis(conn)}
