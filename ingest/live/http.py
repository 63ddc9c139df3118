"""HTTP ingest: the MQTT topics as POST routes (``twin/<path>`` → ``POST /api/live/<path>``),
through the same checks and batch writer. The web app mounts :data:`router` under ``/api/live``; the
app must hold its engine in ``app.state.engine``.

Each request is one message and one transaction: the answer (200) says how many observations
were stored and which entries were dead-lettered and why; 422 when nothing could be used (the
message is still kept as a dead letter); 503 when the database stays away.

Only device credentials may post (``Authorization: Bearer <device key>``, permission INGEST), and
only to the topics their credential lists (403 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ingest.live.messages import Origin
from ingest.live.writer import BatchWriter
from twin.auth import Principal
from twin.devices import topic_allowed
from web.auth import Permission, requires

router = APIRouter(tags=["Live state"])
Device = Annotated[Principal, requires(Permission.INGEST)]
DATABASE_PATIENCE_S = 15.0
"""How long a request waits for an absent database before answering 503."""

_BODY = {"content": {"application/json": {"schema": {"type": "object"}}}, "required": True}


def _writer(request: Request) -> BatchWriter:
    state = request.app.state
    if getattr(state, "live_writer", None) is None:
        state.live_writer = BatchWriter(state.engine, patience_s=DATABASE_PATIENCE_S)
    return state.live_writer  # type: ignore[no-any-return]


async def _ingest(request: Request, device: Principal, topic: str) -> JSONResponse:
    if not topic_allowed(topic, device.topics):
        raise HTTPException(403, f"device '{device.name}' may not publish to {topic}")
    origin = Origin("http", topic, await request.body(), device.name)
    try:
        result = await run_in_threadpool(_writer(request).write, [origin])
    except TimeoutError as exc:
        raise HTTPException(503, f"the twin's database is unavailable: {exc}") from None
    answer: dict[str, Any] = result.to_json()
    used = result.stored or result.incidents
    return JSONResponse(answer, status_code=200 if used or not result.dead_lettered else 422)


@router.post("/observations", openapi_extra={"requestBody": _BODY},
             summary="Observations of any assets (schemas/observations.json)")
async def post_observations(request: Request, device: Device) -> JSONResponse:
    return await _ingest(request, device, "twin/observations")


@router.post("/observations/{source}", openapi_extra={"requestBody": _BODY},
             summary="Observations from one named source (gateway, vendor system)")
async def post_source_observations(source: str, request: Request, device: Device) -> JSONResponse:
    return await _ingest(request, device, f"twin/observations/{source}")


@router.post("/devices/{asset_id}/state", openapi_extra={"requestBody": _BODY},
             summary="A device's new state (schemas/device-state.json)")
async def post_device_state(asset_id: str, request: Request, device: Device) -> JSONResponse:
    return await _ingest(request, device, f"twin/devices/{asset_id}/state")


@router.post("/cameras/{camera_id}/events", openapi_extra={"requestBody": _BODY},
             summary="A camera's event: online, heartbeat, offline, incident (schemas/camera-event.json)")
async def post_camera_event(camera_id: str, request: Request, device: Device) -> JSONResponse:
    return await _ingest(request, device, f"twin/cameras/{camera_id}/events")
