"""What-if simulations for the map: outage, isolation and criticality on the app's cached snapshot,
and street lighting. Each answers
``{"result": <to_json>, "geojson": <FeatureCollection>}``."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter
from pydantic import BaseModel, Field

from layers import NETWORKS
from simulation.lighting import WhatIf, run_lighting
from twin.errors import InvalidInput
from web.auth import Permission, requires
from web.deps import ConnectionDep, SnapshotsDep

router = APIRouter(prefix="/api/simulate", tags=["Simulations"],
                   dependencies=[requires(Permission.SIMULATE)])
MAX_ASSETS = 1000


class Outage(BaseModel):
    assets: list[str] = Field(min_length=1, max_length=MAX_ASSETS,
                              description="asset or topology ids that fail together")


class Isolate(BaseModel):
    asset: str = Field(min_length=1, description="the asset to isolate for repair")


class LightingChanges(BaseModel):
    """A lighting what-if (``WhatIf``)."""

    dim: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="luminaire id -> output level 0..1")
    photometry: dict[str, str] = Field(default_factory=dict,
                                       description="luminaire id -> photometry name")
    add: dict[str, Any] | None = Field(
        default=None, description="new luminaires: a GeoJSON FeatureCollection of points "
                                  "(EPSG:4326) with the luminaires layer's columns, ids as "
                                  "feature ids")


class Lighting(BaseModel):
    bbox: tuple[float, float, float, float] | None = Field(
        default=None, description="minlon, minlat, maxlon, maxlat (EPSG:4326); default: the city")
    at: time | None = Field(default=None, description="time of night (dimming profiles), "
                                                      "e.g. 23:30; default: full output")
    fail: list[str] = Field(default_factory=list, max_length=MAX_ASSETS,
                            description="luminaires assumed dark")
    what_if: LightingChanges | None = None


def _what_if(changes: LightingChanges) -> WhatIf:
    """The lighting simulation's ``WhatIf`` for the request's changes."""
    added = None
    if changes.add is not None:
        try:
            features = changes.add["features"]
            added = gpd.GeoDataFrame.from_features(features, crs=4326)
            added.index = pd.Index([f["id"] for f in features], name="id")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput(f"what_if.add must be a GeoJSON FeatureCollection of points "
                               f"with ids: {exc}") from None
    return WhatIf(dim=changes.dim, photometry=changes.photometry, add=added)


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


@router.post("/lighting", summary="Street-lighting figures per road (EN 13201), after failures "
                                  "or a what-if, with the figures before")
def lighting(body: Lighting, conn: ConnectionDep) -> dict[str, Any]:
    what_if = _what_if(body.what_if) if body.what_if else None
    result = run_lighting(conn, bbox=body.bbox, at=body.at, fail=body.fail, what_if=what_if,
                          live=True)
    return _answer(result, result.to_geojson())
