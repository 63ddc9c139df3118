"""``GET /api/live/stream``: Server-Sent Events of the twin's change notifications (events named
``state``, ``incident``, ``readings`` ...; data = the NOTIFY JSON, see docs/live.md).

The stream's credential is checked again every ``RECHECK_S`` seconds (a cache read, see
``web.auth``): once it is revoked, expired or its user disabled, the stream ends."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent

from web.auth import Permission, presented_secret, requires, resolve

router = APIRouter(prefix="/api/live", tags=["Live state"],
                   dependencies=[requires(Permission.READ)])
RECHECK_S = 5.0
"""How often an open stream checks that its credential still holds (s)."""
log = logging.getLogger(__name__)


async def _still_allowed(request: Request, secret: str | None) -> bool:
    """Whether the stream's credential may still read (no credential: the anonymous role,
    fixed while the server runs)."""
    if secret is None:
        return True
    try:
        principal = await resolve(request, secret)
    except Exception:  # the database away: end the stream, the client's reconnect is checked
        log.warning("live stream ended: its credential could not be checked", exc_info=True)
        return False
    return principal is not None and principal.can(Permission.READ)


@router.get("/stream", response_class=EventSourceResponse,
            summary="Live state changes and incidents as Server-Sent Events")
async def stream(request: Request) -> AsyncIterator[ServerSentEvent]:
    hub = request.app.state.live_hub
    secret = presented_secret(request)
    queue = await hub.subscribe()
    try:
        yield ServerSentEvent(comment="listening")
        while True:
            try:
                event = await asyncio.wait_for(hub.next_event(queue), RECHECK_S)
            except TimeoutError:
                event = False
            if not await _still_allowed(request, secret):
                return
            if event is None:  # the server is stopping
                return
            if event is not False:
                yield ServerSentEvent(raw_data=event.data, event=event.kind)
    finally:
        hub.unsubscribe(queue)
