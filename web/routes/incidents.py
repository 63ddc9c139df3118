"""Incidents for the operations centre: list, acknowledge, resolve (LIVE's ``twin.live``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from twin.errors import InvalidInput
from web.backends import require
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep

router = APIRouter(prefix="/api/incidents", tags=["Incidents"])


class Acknowledge(BaseModel):
    who: str = Field(min_length=1, max_length=200, description="who is on it")


class Resolve(Acknowledge):
    note: str | None = Field(default=None, max_length=4000)


def _live(name: str) -> Any:
    return require("twin.live", name, "incidents of the live state")


@router.get("", summary="Incidents, newest first")
def list_incidents(
    conn: ConnectionDep,
    status: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    asset: Annotated[str | None, Query(description="only those involving this asset")] = None,
) -> dict[str, Any]:
    found = _live("list_incidents")(conn, status=status, asset_id=asset)
    return {"incidents": [incident.to_json() for incident in found]}


def _move(engine: EngineDep, incident_id: int, action: str, **kwargs: Any) -> dict[str, Any]:
    with engine.begin() as conn:
        try:
            _live("get_incident")(conn, incident_id)
        except InvalidInput:
            raise NotFound(f"no incident {incident_id}") from None
        return _live(action)(conn, incident_id, **kwargs).to_json()  # type: ignore[no-any-return]


@router.post("/{incident_id}/acknowledge", summary="Someone is on it (open incidents only)")
def acknowledge(incident_id: int, body: Acknowledge, engine: EngineDep) -> dict[str, Any]:
    return _move(engine, incident_id, "acknowledge_incident", who=body.who)


@router.post("/{incident_id}/resolve", summary="Close an open or acknowledged incident")
def resolve(incident_id: int, body: Resolve, engine: EngineDep) -> dict[str, Any]:
    return _move(engine, incident_id, "resolve_incident", who=body.who, note=body.note)
