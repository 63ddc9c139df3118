"""The app API's assets: one asset for the panel, an engineer's edit of its attributes
(``twin.asset_edit``), and the city's live state at a time (the time slider)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Body, HTTPException, Query

from twin.asset_edit import NotYourNetwork, UnknownAsset, edit_asset
from twin.auth import Principal
from twin.live import state_at
from web.assets import read_asset
from web.auth import Permission, requires
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep
from web.params import parse_bbox

router = APIRouter(prefix="/api", tags=["App API"])


READ = [requires(Permission.READ)]


@router.get("/assets/{asset_id}", summary="An asset: attributes, geometry, live values, history",
            dependencies=READ)
def asset(asset_id: str, conn: ConnectionDep) -> dict[str, Any]:
    return read_asset(conn, asset_id)


@router.patch("/assets/{asset_id}", summary="Change an asset's attributes (engineers: their own "
                                             "networks; admins: any), audited")
def patch_asset(
    asset_id: str, engine: EngineDep,
    principal: Annotated[Principal, requires(Permission.EDIT_NETWORK)],
    changes: Annotated[dict[str, Any], Body(description="column → new value; the layer's own "
                                                        "columns, install_year, condition")],
) -> dict[str, Any]:
    try:
        with engine.begin() as conn:
            return edit_asset(conn, asset_id, changes, principal)
    except UnknownAsset:
        raise NotFound(f"no asset '{asset_id}' in the twin") from None
    except NotYourNetwork as exc:
        raise HTTPException(403, str(exc)) from None


@router.get("/state", summary="Every asset's latest reported values at a time (default: now)",
            dependencies=READ)
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
