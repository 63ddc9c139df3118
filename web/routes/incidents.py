"""Incidents for the operations centre: list, acknowledge, resolve (``twin.live``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from twin import live as twin_live
from twin.errors import InvalidInput
from twin.live import Incident
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep

router = APIRouter(prefix="/api/incidents", tags=["Incidents"])


class Acknowledge(BaseModel):
    who: str = Field(min_length=1, max_length=200, description="who is on it")


class Resolve(Acknowledge):
    note: str | None = Field(default=None, max_length=4000)


@router.get("", summary="Incidents, newest first")
def list_incidents(
    conn: ConnectionDep,
    status: Annotated[str | None, Query(description="open, acknowledged or resolved")] = None,
    asset: Annotated[str | None, Query(description="only those involving this asset")] = None,
) -> dict[str, Any]:
    found = twin_live.list_incidents(conn, status=status, asset_id=asset)
    return {"incidents": [incident.to_json() for incident in found]}


def _move(engine: EngineDep, incident_id: int, action: Callable[..., Incident], **kwargs: Any
          ) -> dict[str, Any]:
    """``action`` on the incident in one transaction; NotFound when there is no such incident."""
    with engine.begin() as conn:
        try:
            twin_live.get_incident(conn, incident_id)
        except InvalidInput:
            raise NotFound(f"no incident {incident_id}") from None
        return action(conn, incident_id, **kwargs).to_json()


@router.post("/{incident_id}/acknowledge", summary="Someone is on it (open incidents only)")
def acknowledge(incident_id: int, body: Acknowledge, engine: EngineDep) -> dict[str, Any]:
    return _move(engine, incident_id, twin_live.acknowledge_incident, who=body.who)


@router.post("/{incident_id}/resolve", summary="Close an open or acknowledged incident")
def resolve(incident_id: int, body: Resolve, engine: EngineDep) -> dict[str, Any]:
    return _move(engine, incident_id, twin_live.resolve_incident, who=body.who, note=body.note)
