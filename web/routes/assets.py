"""The app API's reads: one asset for the panel, and the city's live state at a time (the time
slider)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from twin.live import state_at
from web.assets import read_asset
from web.deps import ConnectionDep
from web.params import parse_bbox

router = APIRouter(prefix="/api", tags=["App API"])


@router.get("/assets/{asset_id}", summary="An asset: attributes, geometry, live values, history")
def asset(asset_id: str, conn: ConnectionDep) -> dict[str, Any]:
    return read_asset(conn, asset_id)


@router.get("/state", summary="Every asset's latest reported values at a time (default: now)")
def state(
    conn: ConnectionDep,
    at: Annotated[datetime | None, Query(description="ISO 8601 time; naive times are UTC")]
    = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
) -> dict[str, Any]:
    frame = state_at(conn, at, parse_bbox(bbox) if bbox else None)
    values = frame["value"].astype(object).where(frame["value"].notna(), frame["value_text"])
    observations = pd.DataFrame({
        "asset_id": frame["asset_id"], "property": frame["property"], "value": values,
        "unit": frame["unit"],
        "observed_at": frame["observed_at"].map(lambda t: t.isoformat()),
    })
    return {"at": at.isoformat() if at else None,
            "observations": observations.to_dict(orient="records")}
