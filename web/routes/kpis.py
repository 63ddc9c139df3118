"""``GET /api/kpis``: the operations centre's KPI tiles (``web.kpis``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from web.auth import Permission, requires
from web.deps import ConnectionDep, SnapshotsDep
from web.kpis import read_kpis

router = APIRouter(prefix="/api", tags=["App API"], dependencies=[requires(Permission.READ)])


@router.get("/kpis", summary="Lamps working, camera uptime, customers without service, "
                             "households with fibre, open incidents by ward")
def kpis(conn: ConnectionDep, snapshots: SnapshotsDep) -> dict[str, Any]:
    return read_kpis(conn, snapshots.get())
