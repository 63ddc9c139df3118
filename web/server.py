"""Running the app under uvicorn, for ``twin serve`` and ``twin demo``."""

from __future__ import annotations

import errno
import socket
from types import FrameType
from typing import Any

import uvicorn
from fastapi import FastAPI

from twin.config import Settings
from twin.database import open_twin
from twin.errors import TwinError
from twin.progress import console
from web.app import create_app

SHUTDOWN_S = 3
"""Ctrl-C waits this long (s) for open requests."""


def app_from_environment() -> FastAPI:
    """The app for the settings of the environment (``TWIN_*``): uvicorn's factory when it runs
    several worker processes."""
    return create_app(Settings())


class TwinServer(uvicorn.Server):
    """uvicorn's server, ending the app's live streams when asked to stop (they never end by
    themselves, and uvicorn waits for open requests)."""

    def __init__(self, app: FastAPI, **options: Any) -> None:
        super().__init__(uvicorn.Config(app, **options))
        self.twin_app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        hub = getattr(self.twin_app.state, "live_hub", None)
        if hub is not None:
            hub.closing = True
        super().handle_exit(sig, frame)


def check_port_free(host: str, port: int) -> None:
    """TwinError naming the port when another program listens on it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used: {exc}"
            raise TwinError(f"{host}:{port} {reason}; choose another with --port") from None


def serve_twin(host: str, port: int, workers: int = 1, *, proxy_headers: bool = True,
               forwarded_allow_ips: str | None = None) -> None:
    """Start the twin's database (migrated) once, then serve until Ctrl-C. Behind a TLS proxy,
    ``forwarded_allow_ips`` names it, so the server sees https (the session cookie goes out
    Secure) and the client's address (limits and the sign-in back-off count per address)."""
    check_port_free(host, port)
    open_twin(Settings()).dispose()
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    console.print(f"serving the twin at [bold]http://{shown}:{port}/[/] "
                  f"(API docs: /docs; Ctrl-C stops)")
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "warning",
                               "timeout_graceful_shutdown": SHUTDOWN_S,
                               "proxy_headers": proxy_headers,
                               "forwarded_allow_ips": forwarded_allow_ips}
    if workers == 1:
        TwinServer(create_app(Settings()), **options).run()
    else:
        uvicorn.run("web.server:app_from_environment", factory=True, workers=workers, **options)
