"""``GET /api/kpis``: the operations centre's KPI tiles (``web.kpis``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from web.deps import ConnectionDep
from web.kpis import read_kpis

router = APIRouter(prefix="/api", tags=["App API"])


@router.get("/kpis", summary="Lamps working, camera uptime, customers without service, "
                             "households with fibre, open incidents by ward")
def kpis(request: Request, conn: ConnectionDep) -> dict[str, Any]:
    return read_kpis(conn, request.app.state.snapshots.get)
