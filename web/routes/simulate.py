"""What-if simulations for the map: outage, isolation and criticality on the app's cached snapshot
(contract B), street lighting (contract C). Each answers
``{"result": <to_json>, "geojson": <FeatureCollection>}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from layers import NETWORKS
from twin.errors import InvalidInput
from web.backends import require
from web.deps import ConnectionDep, SnapshotsDep

router = APIRouter(prefix="/api/simulate", tags=["Simulations"])
MAX_ASSETS = 1000


class Outage(BaseModel):
    assets: list[str] = Field(min_length=1, max_length=MAX_ASSETS,
                              description="asset or topology ids that fail together")


class Isolate(BaseModel):
    asset: str = Field(min_length=1, description="the asset to isolate for repair")


class Lighting(BaseModel):
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="minlon, minlat, maxlon, maxlat (EPSG:4326); default: the city")
    at: datetime | None = Field(default=None, description="the time (dimming); default: now")
    fail: list[str] = Field(default_factory=list, max_length=MAX_ASSETS,
                            description="luminaires assumed dark")
    what_if: dict[str, Any] | None = Field(default=None,
                                           description="changes to try (see docs/lighting.md)")


def _answer(result: Any, geojson: dict[str, Any]) -> dict[str, Any]:
    return {"result": result.to_json(), "geojson": geojson}


@router.post("/outage", summary="What fails, when and for whom if these assets fail")
def outage(body: Outage, snapshots: SnapshotsDep, conn: ConnectionDep) -> dict[str, Any]:
    result = snapshots.get().outage(body.assets)
    return _answer(result, result.to_geojson(conn))


@router.post("/isolate", summary="The valves or switches to operate to isolate an asset")
def isolate(body: Isolate, snapshots: SnapshotsDep, conn: ConnectionDep) -> dict[str, Any]:
    result = snapshots.get().isolate(body.asset)
    return _answer(result, result.to_geojson(conn))


@router.get("/criticality/{network}", summary="Every element of a network ranked by what it "
                                              "takes down alone")
def criticality(network: str, snapshots: SnapshotsDep, conn: ConnectionDep) -> dict[str, Any]:
    if network not in NETWORKS:
        raise InvalidInput(f"unknown network '{network}'; networks: {', '.join(NETWORKS)}")
    result = snapshots.get().criticality(network)
    return _answer(result, result.to_geojson(conn))


@router.post("/lighting", summary="Street-lighting figures per road (EN 13201), before or after "
                                  "a what-if")
def lighting(body: Lighting, conn: ConnectionDep) -> dict[str, Any]:
    run_lighting = require("simulation.lighting", "run_lighting", "the lighting simulation")
    result = run_lighting(conn, bbox=body.bbox, at=body.at, fail=tuple(body.fail),
                          what_if=body.what_if, live=True)
    return _answer(result, result.to_geojson())
