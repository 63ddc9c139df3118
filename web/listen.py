"""One ``LISTEN`` connection kept open for ever: the live stream and the tile seeder each hold one.

After a dropped connection it reconnects every ``RECONNECT_S``; what was sent meanwhile is lost,
so ``listening(True)`` tells the owner each time it is listening again (it reloads what it keeps).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger("web.listen")
RECONNECT_S = 2.0


async def listen(conninfo: str, channel: str, received: Callable[[str], None],
                 listening: Callable[[bool], None]) -> None:
    """Call ``received`` with each NOTIFY payload on ``channel`` until cancelled; ``listening``
    with True once LISTEN holds, with False when the connection is lost."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                await conn.execute(f"LISTEN {channel}")
                listening(True)
                async for notification in conn.notifies():
                    received(notification.payload)
        except psycopg.Error as exc:
            listening(False)
            log.warning("LISTEN %s lost (%s); retrying in %s s", channel, exc, RECONNECT_S)
            await asyncio.sleep(RECONNECT_S)
