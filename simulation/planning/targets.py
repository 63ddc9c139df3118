"""Programme targets by ward, district and city: fibre to households and to residential
groups, camera coverage of road junctions, lamps working; each against its target
(``planning_targets``). See docs/planning.md, "Programme targets"."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from simulation._graph import reached_from
from simulation.planning._areas import AREA_COLUMNS
from simulation.planning.rollups import area_rows, grouped
from simulation.planning.settings import METRICS, target_shares
from twin.live import current_device_states

DEFAULT_CAMERA_RANGE_M = 50.0
DEGREES_PER_M = 1 / 100_000
"""Generous degrees per metre for the index pre-filter (1° ≥ 103 km at Bắc Giang)."""
TERMINAL = "ONT-"

_TELECOM = """
WITH n AS (SELECT id, asset_id, is_source, (row_number() OVER (ORDER BY id) - 1)::int AS k
           FROM network_nodes WHERE network = 'telecom')
SELECT (SELECT array_agg(asset_id ORDER BY k) FROM n),
       (SELECT array_agg(k) FROM n WHERE is_source),
       array_agg(a.k), array_agg(b.k)
FROM network_edges e JOIN n a ON a.id = e.from_node JOIN n b ON b.id = e.to_node
WHERE e.network = 'telecom' AND e.normally_connected
"""
"""The telecom topology as arrays: node assets in node-number order, source numbers, edge ends."""

_ROWS = """
SELECT 'fibre_households'::text AS layer, t.ward_code, t.households::float8 AS num,
       0::float8 AS den
FROM customer_terminals t JOIN connected USING (id)
WHERE coalesce(lower(trim(t.service)), '') <> 'business'
UNION ALL
SELECT 'fibre_households', s.ward_code, 0, s.customers
FROM service_points s LEFT JOIN buildings b ON b.id = s.building_id
WHERE coalesce(lower(trim(b.use)), '') NOT IN ('commercial', 'industrial', 'public')
UNION ALL
SELECT 'fibre_groups', g.ward_code,
       (EXISTS (SELECT 1 FROM customer_terminals t JOIN connected USING (id)
                WHERE ST_Intersects(g.geom, t.geom)))::int, 1
FROM residential_groups g
UNION ALL
SELECT 'lamps_working', l.ward_code,
       (l.condition IS DISTINCT FROM 'failed'
        AND NOT l.id = ANY(CAST(:failed AS text[])))::int, 1
FROM luminaires l
UNION ALL
SELECT 'camera_junctions',
       (SELECT w.id FROM wards w WHERE ST_Intersects(w.geom, n.geom) ORDER BY w.id LIMIT 1),
       (EXISTS (SELECT 1 FROM cameras c
                WHERE ST_DWithin(c.geom, n.geom, :reach_deg)
                  AND ST_DWithin(c.geom::geography, n.geom::geography,
                                 coalesce(c.range_m, :default_range))
                  AND (c.heading_deg IS NULL OR c.fov_deg IS NULL OR c.fov_deg >= 360
                       OR coalesce(abs(mod((degrees(ST_Azimuth(c.geom::geography,
                                                              n.geom::geography))
                                            - c.heading_deg + 540)::numeric, 360) - 180), 0)
                          <= c.fov_deg / 2)))::int,
       1
FROM network_nodes n
JOIN (SELECT node FROM (SELECT from_node AS node FROM network_edges WHERE network = 'road'
                        UNION ALL
                        SELECT to_node FROM network_edges WHERE network = 'road') e
      GROUP BY node HAVING count(*) >= 3) j ON j.node = n.id
"""


_VERSION = text("SELECT current_database(), inet_server_port(), array_agg(version::text || '@' "
                "|| changed_at::text ORDER BY table_name) FROM data_versions "
                "WHERE table_name IN ('network_nodes', 'network_edges')")
_REACHED: dict[tuple[object, ...], list[str]] = {}
_LOCK = threading.Lock()
CACHED_TOPOLOGIES = 8


def connected_terminals(conn: Connection) -> list[str]:
    """Customer terminals joined to a central office (OLT) through the telecom network in its
    normal state: the simulations' reach from the sources (``simulation._graph``) over the
    topology's normally connected edges. Kept per database until the topology's data version
    (``twin.changes``) moves."""
    database, port, versions = conn.execute(_VERSION).one()
    key = (database, port, tuple(versions or ()))
    with _LOCK:
        if key in _REACHED:
            return _REACHED[key]
    found = _connected(conn)
    with _LOCK:
        if len(_REACHED) >= CACHED_TOPOLOGIES:
            _REACHED.pop(next(iter(_REACHED)))
        _REACHED[key] = found
    return found


def _connected(conn: Connection) -> list[str]:
    assets, sources, u, v = conn.execute(text(_TELECOM)).one()
    if not assets:
        return []
    reached = reached_from(len(assets), np.asarray(u or [], np.int64),
                           np.asarray(v or [], np.int64), np.asarray(sources or [], np.int64))
    ids = pd.Series(assets, dtype=object)[reached].dropna()
    return sorted(set(ids[ids.str.startswith(TERMINAL)]))


def programme_targets(conn: Connection, level: str = "ward", ward: str | None = None, *,
                      levels: Sequence[str] | None = None) -> pd.DataFrame:
    """Each programme metric per area: numerator, denominator, value (share, null when
    nothing to count; above 1 when the data disagree, e.g. more households on fibre than power
    customers: shown, not clipped, so that the city stays the sum of its wards), target, met."""
    levels = list(levels or [level])
    reach = conn.execute(text("SELECT max(range_m) FROM cameras")).scalar()
    params = {"connected": connected_terminals(conn),
              "failed": sorted(current_device_states(conn).failed),
              "default_range": DEFAULT_CAMERA_RANGE_M,
              "reach_deg": max(float(reach or 0), DEFAULT_CAMERA_RANGE_M) * DEGREES_PER_M}
    source = ("SELECT x.layer, x.ward_code, w.district_code, x.num, x.den FROM "
              "(WITH connected AS (SELECT unnest(CAST(:connected AS text[])) AS id) "
              f"{_ROWS}) x LEFT JOIN wards w ON w.id = x.ward_code")
    figures = grouped(conn, "sum(num) AS numerator, sum(den) AS denominator", levels, ward,
                      source=lambda _: source,  # every ward: a junction's is found in the query
                      params=params).rename(columns={"layer": "metric"})
    every = area_rows(conn, levels, ward, figures)
    skeleton = every.merge(pd.DataFrame({"metric": list(METRICS)}), how="cross")
    out = skeleton.merge(figures, on=["area_level", "area_code", "metric"], how="left")
    out[["numerator", "denominator"]] = out[["numerator", "denominator"]].astype("float64").fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["value"] = np.where(out["denominator"] > 0,
                                out["numerator"] / out["denominator"].where(
                                    out["denominator"] > 0, 1), np.nan)
    goal = target_shares(conn).set_index("metric")["target"]
    out["target"] = out["metric"].map(goal).astype(float)
    out["met"] = pd.array([None if np.isnan(v) or np.isnan(t) else bool(v >= t)
                           for v, t in zip(out["value"], out["target"], strict=False)], dtype="boolean")
    return out[[*AREA_COLUMNS, "metric", "numerator", "denominator", "value", "target", "met"]]
