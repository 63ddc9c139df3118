"""Schemathesis against the OpenAPI document of the web server as users run it (uvicorn over a
copy of the small demo city), as its admin: every operation, examples made from the document's
schemas, no answer a 5xx, and each answer that the document describes conforming to it. A few
examples per operation keep the run within ~3 minutes on 2 cores.

The document is the app's own, made without a database (``create_app`` connects only when it
starts), so pytest lists one test per operation; a first test checks that the running server
serves that same document.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.web_fixtures import bearer
from twin.config import Settings
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
CHECKS = (not_a_server_error, response_schema_conformance)


def _call(case: schemathesis.Case, base: str, token: str) -> None:
    response = case.call(base_url=base, headers=bearer(token), timeout=120)
    case.validate_response(response, checks=CHECKS)


@pytest.mark.slow
def test_the_server_serves_the_document_tested(live_server: str):
    assert httpx.get(f"{live_server}/openapi.json").json() == DOCUMENT


@pytest.mark.slow
@schema.exclude(path=list(SLOW)).parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case: schemathesis.Case, live_server: str,
                                             live_server_token: str):
    _call(case, live_server, live_server_token)


@pytest.mark.slow
@slow_schema.parametrize()
@settings(max_examples=min(SLOW.values()), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_slow_operations_answer_no_server_error(case: schemathesis.Case, live_server: str,
                                                live_server_token: str):
    _call(case, live_server, live_server_token)
