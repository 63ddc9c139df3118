"""An edge's line is drawn by the database: when the edge is written (COPY included), when it is
linked to other nodes, and when one of its nodes moves; and a spatial filter finds it by index."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from shapely import LineString, Point, from_wkb

from twin.write import write_topology


def lines(conn: sa.Connection) -> dict[str, LineString]:
    rows = conn.execute(sa.text("SELECT id, ST_AsBinary(geom) FROM network_edges ORDER BY id"))
    return {edge: from_wkb(bytes(wkb)) for edge, wkb in rows}


def test_edges_are_drawn_between_their_nodes_and_follow_them(engine):
    nodes = gpd.GeoDataFrame(
        {"network": "water", "kind": "junction", "is_source": False},
        index=pd.Index(["WN-000001", "WN-000002", "WN-000003"], name="id"),
        geometry=[Point(106.19, 21.27), Point(106.20, 21.27), Point(106.20, 21.28)], crs=4326)
    edges = pd.DataFrame({"network": "water", "from_node": ["WN-000001", "WN-000002"],
                          "to_node": ["WN-000002", "WN-000003"], "kind": "pipe",
                          "length_m": [1037.0, 1113.0]},
                         index=pd.Index(["WE-000001", "WE-000002"], name="id"))
    with engine.begin() as conn:
        write_topology(conn, nodes.rename_geometry("geom").reset_index(), edges.reset_index())
        assert lines(conn) == {"WE-000001": LineString([(106.19, 21.27), (106.20, 21.27)]),
                               "WE-000002": LineString([(106.20, 21.27), (106.20, 21.28)])}
        conn.execute(sa.text("UPDATE network_nodes SET geom = ST_SetSRID(ST_Point(106.21, 21.27),"
                             " 4326) WHERE id = 'WN-000002'"))
        assert lines(conn) == {"WE-000001": LineString([(106.19, 21.27), (106.21, 21.27)]),
                               "WE-000002": LineString([(106.21, 21.27), (106.20, 21.28)])}
        conn.execute(sa.text("UPDATE network_edges SET to_node = 'WN-000003' "
                             "WHERE id = 'WE-000001'"))
        assert lines(conn)["WE-000001"] == LineString([(106.19, 21.27), (106.20, 21.28)])
        plan = "\n".join(conn.execute(sa.text(
            "EXPLAIN SELECT id FROM network_edges "
            "WHERE geom && ST_MakeEnvelope(106.195, 21.26, 106.205, 21.275, 4326)")).scalars())
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask for the index
        indexed = "\n".join(conn.execute(sa.text(
            "EXPLAIN SELECT id FROM network_edges "
            "WHERE geom && ST_MakeEnvelope(106.195, 21.26, 106.205, 21.275, 4326)")).scalars())
    assert "network_edges" in plan and "idx_network_edges_geom" in indexed
