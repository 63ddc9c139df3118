"""Fixtures for the web server's tests (and the browser tests of the map).

- ``client_for(url, role="admin")``: FastAPI's TestClient over a database, carrying the API token
  of a user of that role made in that database (``role=None``: no credentials).
- ``web_client``: the admin's TestClient over the shared small demo city (read it only).
- ``live_server``: uvicorn in a subprocess on a free port over a fresh copy of the small demo city,
  one per test module; yields its base URL (``http://127.0.0.1:PORT``). Tests that need the
  database behind it use ``live_server_database_url``; ``live_server_users`` holds a user of
  every role (name, password, API token), ``live_server_token`` the admin's token,
  ``live_server_http`` an httpx client carrying it, ``live_server_device_key`` a device key
  allowed every live topic and ``live_server_ingest`` an httpx client carrying that.

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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tests.conftest import REPO, admin_sql, make_database
from twin import auth, devices
from twin.config import Settings
from twin.database import create_engine
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


ROLES = ("viewer", "engineer", "operator", "admin")
"""The users' roles (twin.auth); a device's credential is not a user's."""
DEVICE_TOPICS = ["twin/#"]
"""The live topics the tests' device key may post to: all of them."""


@dataclass(frozen=True)
class Credentials:
    """A user made for the tests: its name, role, password and API token."""

    name: str
    role: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)


def bearer(secret: str) -> dict[str, str]:
    """The header that carries an API token or a device key."""
    return {"Authorization": f"Bearer {secret}"}


def make_user(database_url: str, role: str, name: str | None = None,
              networks: Sequence[str] = ()) -> Credentials:
    """A user of ``role`` in that database (named ``test-<role>`` unless named; an engineer
    edits ``networks``), with a generated password and an API token."""
    name = name or f"test-{role}"
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            password = auth.create_user(conn, name, role, networks=networks)
            token = auth.create_token(conn, name, "tests")
    finally:
        engine.dispose()
    return Credentials(name, role, password, token)


def make_device(database_url: str, name: str = "test-device",
                topics: list[str] = DEVICE_TOPICS) -> str:
    """A device credential in that database allowed ``topics``; returns its key."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            return devices.create_device(conn, name, topics)
    finally:
        engine.dispose()


_users: dict[tuple[str, str], Credentials] = {}


def first_id(database_url: str, table: str) -> str:
    """The first id of ``table`` (an asset to act on)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(text(f"SELECT id FROM {table} ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    return str(found)


def user_for(database_url: str, role: str) -> Credentials:
    """The tests' user of ``role`` in that database, made on first use (one per role and
    database: a name is made once)."""
    key = (database_url, role)
    if key not in _users:
        _users[key] = make_user(database_url, role)
    return _users[key]


def client_for(database_url: str, tile_seed_max_zoom: int = -1,
               role: str | None = "admin") -> TestClient:
    """A TestClient (use it in ``with``, which runs the app's lifespan) over that database,
    carrying the API token of a user of ``role`` (None: no credentials); no tiles made ahead
    unless asked (the tests of that ask), so they take no CPU from the rest."""
    client = client_class()(create_app(Settings(database_url=database_url,
                                                tile_seed_max_zoom=tile_seed_max_zoom)))
    if role is not None:
        client.headers.update(user_for(database_url, role).headers)
    return client


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
    with running_server(live_server_database_url) as base:
        yield base


@pytest.fixture(scope="module")
def live_server_users(live_server_database_url: str) -> dict[str, Credentials]:
    """A user of every role in the live server's database, by role."""
    return {role: user_for(live_server_database_url, role) for role in ROLES}


@pytest.fixture(scope="module")
def live_server_token(live_server_users: dict[str, Credentials]) -> str:
    """The API token of the live server's admin."""
    return live_server_users["admin"].token


@pytest.fixture(scope="module")
def live_server_http(live_server: str, live_server_token: str) -> Iterator[httpx.Client]:
    """An httpx client of the live server carrying the admin's token (paths relative to it)."""
    with httpx.Client(base_url=live_server, headers=bearer(live_server_token),
                      timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def live_server_device_key(live_server_database_url: str) -> str:
    """A device key of the live server's database, allowed every live topic."""
    return make_device(live_server_database_url)


@pytest.fixture(scope="module")
def live_server_ingest(live_server: str, live_server_device_key: str) -> Iterator[httpx.Client]:
    """An httpx client of the live server carrying the device key, for the live ingest
    (``/api/live/...``)."""
    with httpx.Client(base_url=live_server, headers=bearer(live_server_device_key),
                      timeout=30) as client:
        yield client


@contextmanager
def running_server(database_url: str, **settings: str) -> Iterator[str]:
    """uvicorn serving the twin over that database in its own process, with these ``TWIN_*``
    settings (``anonymous_role="viewer"``...) and no others of this environment; yields its
    base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_")}
    env["TWIN_DATABASE_URL"] = database_url
    env["TWIN_TILE_SEED_MAX_ZOOM"] = "-1"  # see client_for
    env.update({f"TWIN_{key.upper()}": value for key, value in settings.items()})
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
        try:  # the API's documents need no credentials
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not answer at {base} within {START_TIMEOUT_S} s")
