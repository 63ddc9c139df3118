"""``GET /api/live/stream``: Server-Sent Events of the twin's change notifications (events named
``state``, ``incident``, ``readings`` ...; data = the NOTIFY JSON, see docs/live.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from web.auth import Permission, requires

router = APIRouter(prefix="/api/live", tags=["Live state"],
                   dependencies=[requires(Permission.READ)])


@router.get("/stream", response_class=EventSourceResponse,
            summary="Live state changes and incidents as Server-Sent Events")
async def stream(request: Request) -> AsyncIterator[ServerSentEvent]:
    hub = request.app.state.live_hub
    queue = await hub.subscribe()
    try:
        yield ServerSentEvent(comment="listening")
        while (event := await hub.next_event(queue)) is not None:
            yield ServerSentEvent(raw_data=event.data, event=event.kind)
    finally:
        hub.unsubscribe(queue)
