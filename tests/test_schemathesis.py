"""Schemathesis against the OpenAPI document of the web server as users run it (uvicorn over a
copy of the small demo city): every operation, examples made from the document's schemas, no
answer a 5xx, each answer that the document describes conforming to it, and no 401 or 403 to a
caller allowed the operation. A few examples per operation keep the run within ~3 minutes on 2
cores.

Credentials: the live ingest (``POST /api/live/...``) with a device key allowed ``twin/#`` (an
admin has no ``ingest``), everything else as the admin. The operations that change a user, a
token or a device act on a throw-away user, token and device made for the run (their path
parameter is replaced), so no generated name or id can disable, demote or revoke the run's own
credentials; the last test checks that they still work.

The document is the app's own, made without a database (``create_app`` connects only when it
starts), so pytest lists one test per operation; a first test checks that the running server
serves that same document.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.web_fixtures import bearer, make_device, make_user
from twin import auth
from twin.config import Settings
from twin.database import create_engine
from web.app import create_app

EXAMPLES = 12
"""Examples per operation."""
SLOW = {"/api/planning/report": 2}
"""Operations that take seconds each (a PDF report: ~30 s of CPU), with their own few examples."""
LEFT_OUT = ["/api/live/stream"]
"""An endless event stream: it answers once it ends, which it never does."""
DOCUMENT = create_app(Settings(database_url="postgresql://unused@127.0.0.1:9/unused")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT).exclude(path=LEFT_OUT)
slow_schema = schemathesis.openapi.from_dict(DOCUMENT).include(path=list(SLOW))
slow_schema.config.phases.coverage.enabled = False  # its every combination of parameters
REFUSALS_EXPECTED = {"/api/auth/login"}
"""Operations that answer 401 to made-up input by design (a wrong name or password)."""
THROWAWAY = "fuzz-target"
"""The user and device the operations on users, tokens and devices act on."""


def allowed_caller_not_refused(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """The admin (or, on the ingest, the device key) may call every operation: never 401/403."""
    if case.path not in REFUSALS_EXPECTED and response.status_code in (401, 403):
        raise AssertionError(f"{case.method} {case.path} refused the run's own credentials: "
                             f"{response.status_code} {response.text[:200]}")
    return None


CHECKS = (not_a_server_error, response_schema_conformance, allowed_caller_not_refused)


@pytest.fixture(scope="module")
def run_credentials(live_server_database_url: str, live_server_token: str) -> dict[str, str]:
    """The run's admin token and device key, and the throw-away user, token id and device the
    operations on them act on."""
    device_key = make_device(live_server_database_url, "fuzz-device", ["twin/#"])
    make_user(live_server_database_url, "viewer", THROWAWAY)
    make_device(live_server_database_url, THROWAWAY, ["twin/observations/fuzz"])
    engine = create_engine(live_server_database_url)
    try:
        with engine.begin() as conn:
            auth.create_token(conn, THROWAWAY, "to revoke")
            token_id = conn.exec_driver_sql(
                "SELECT max(id) FROM api_tokens WHERE user_name = %s", (THROWAWAY,)).scalar_one()
    finally:
        engine.dispose()
    return {"token": live_server_token, "device": device_key, "token_id": str(token_id)}


def _call(case: schemathesis.Case, base: str, credentials: dict[str, str]) -> None:
    if case.path.startswith("/api/admin/users/{name}") or case.path == "/api/admin/devices/{name}":
        case.path_parameters = {**(case.path_parameters or {}), "name": THROWAWAY}
    if case.path == "/api/admin/tokens/{token_id}":
        case.path_parameters = {"token_id": credentials["token_id"]}
    ingest = case.method.upper() == "POST" and case.path.startswith("/api/live/")
    secret = credentials["device"] if ingest else credentials["token"]
    response = case.call(base_url=base, headers=bearer(secret), timeout=120)
    case.validate_response(response, checks=list(CHECKS))


@pytest.mark.slow
def test_the_server_serves_the_document_tested(live_server: str):
    assert httpx.get(f"{live_server}/openapi.json").json() == DOCUMENT


@pytest.mark.slow
@schema.exclude(path=list(SLOW)).parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: schemathesis.Case, live_server: str,
                                             run_credentials: dict[str, str]):
    _call(case, live_server, run_credentials)


@pytest.mark.slow
@slow_schema.parametrize()
@settings(max_examples=min(SLOW.values()), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_slow_operations_answer_no_server_error(case: schemathesis.Case, live_server: str,
                                                run_credentials: dict[str, str]):
    _call(case, live_server, run_credentials)


@pytest.mark.slow
def test_the_runs_credentials_still_work(live_server: str, run_credentials: dict[str, str]):
    """Nothing the run sent revoked, disabled or demoted its own admin or device key."""
    me = httpx.get(f"{live_server}/api/auth/me", headers=bearer(run_credentials["token"]))
    assert me.status_code == 200 and me.json()["role"] == "admin"
    posted = httpx.post(f"{live_server}/api/live/observations", json={"observations": []},
                        headers=bearer(run_credentials["device"]))
    assert posted.status_code not in (401, 403), posted.text
