"""Fixtures for the web server's tests (and the browser tests of the map).

- ``web_client``: FastAPI's TestClient over the shared small demo city (read it only).
- ``live_server``: uvicorn in a subprocess on a free port over a fresh copy of the small demo city,
  one per test module; yields its base URL (``http://127.0.0.1:PORT``). Tests that need the
  database behind it use ``live_server_database_url``.

Import them in a test module with
``from tests.web_fixtures import live_server, live_server_database_url  # noqa: F401``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy.engine import Engine, make_url

from tests.conftest import REPO, admin_sql, make_database
from twin.config import Settings
from web.app import create_app

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

START_TIMEOUT_S = 60


def client_class() -> type[TestClient]:
    """FastAPI's TestClient; Starlette asks for httpx2 with a deprecation warning when it finds
    httpx (the project's client), which the suite's ``filterwarnings = error`` would raise."""
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from fastapi.testclient import TestClient
    return TestClient


def client_for(database_url: str, tile_seed_max_zoom: int = -1) -> TestClient:
    """A TestClient (use it in ``with``, which runs the app's lifespan) over that database; no
    tiles made ahead unless asked (the tests of that ask), so they take no CPU from the rest."""
    return client_class()(create_app(Settings(database_url=database_url,
                                              tile_seed_max_zoom=tile_seed_max_zoom)))


@pytest.fixture(scope="session")
def web_client(demo_engine: Engine) -> Iterator[TestClient]:
    with client_for(demo_engine.url.render_as_string(hide_password=False)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live_server_database_url(server_url: str, demo_template_url: str) -> Iterator[str]:
    """A fresh copy of the small demo city behind ``live_server`` (one per test module)."""
    url = make_database(server_url, demo_template_url)
    yield url
    admin_sql(server_url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live_server(live_server_database_url: str) -> Iterator[str]:
    """The web server running as users run it (uvicorn, own process); yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_")}
    env["TWIN_DATABASE_URL"] = live_server_database_url
    env["TWIN_TILE_SEED_MAX_ZOOM"] = "-1"  # see client_for
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "web.server:app_from_environment", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--timeout-graceful-shutdown", "3"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"the web server exited ({process.returncode}):\n{output}")
        try:
            if httpx.get(f"{base}/conformance", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not answer at {base} within {START_TIMEOUT_S} s")
