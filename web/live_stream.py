"""The live stream's source: one ``LISTEN twin_live`` connection per server process, fanned out
to every open Server-Sent Events stream.

The listener starts with the first subscriber and reconnects after a dropped connection (a
subscriber then misses what was sent meanwhile: the browser reloads the state from
``/api/state``). Each NOTIFY payload (JSON, see docs/live.md) becomes one event named after its
``kind`` (``state``, ``incident``, ``readings`` ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

from web.errors import NotAvailable
from web.listen import listen

CHANNEL = "twin_live"
QUEUE_SIZE = 1000
"""Events kept for a slow subscriber; past that the oldest are dropped."""
POLL_S = 1.0
LISTEN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LiveEvent:
    kind: str
    data: str
    """The NOTIFY payload as sent (JSON text)."""


def event_of(payload: str) -> LiveEvent:
    """The event a NOTIFY payload makes: its ``kind`` names it (``message`` when it has none)."""
    try:
        kind = json.loads(payload).get("kind")
    except (ValueError, AttributeError):
        kind = None
    return LiveEvent(kind if isinstance(kind, str) and kind else "message", payload)


class LiveHub:
    """Subscribers get an asyncio queue of ``LiveEvent``; the listener fills every queue."""

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._queues: set[asyncio.Queue[LiveEvent]] = set()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.closing = False
        """Set when the server stops: open streams end within ``POLL_S``."""

    async def subscribe(self) -> asyncio.Queue[LiveEvent]:
        """A new queue; returns once the listener is listening, so no later NOTIFY is missed."""
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(listen(
                self._conninfo, CHANNEL, lambda payload: self._publish(event_of(payload)),
                self._listening_changed))
        try:
            await asyncio.wait_for(self._listening.wait(), LISTEN_TIMEOUT_S)
        except TimeoutError:
            self._queues.discard(queue)
            raise NotAvailable(f"the live stream cannot LISTEN on '{CHANNEL}': the database "
                               "does not answer") from None
        return queue

    def unsubscribe(self, queue: asyncio.Queue[LiveEvent]) -> None:
        self._queues.discard(queue)

    async def next_event(self, queue: asyncio.Queue[LiveEvent]) -> LiveEvent | None:
        """The queue's next event, or None once the server is stopping."""
        while not self.closing:
            try:
                return await asyncio.wait_for(queue.get(), POLL_S)
            except TimeoutError:
                continue
        return None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _publish(self, event: LiveEvent) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def _listening_changed(self, listening: bool) -> None:
        if listening:
            self._listening.set()
        else:
            self._listening.clear()
