"""The permission matrix: every route of the app × {no credentials, viewer, engineer, operator,
admin, device, and no credentials on a server whose anonymous role is viewer} answers as designed,
from the design's two tables, written here and not taken from the code: route → permission
(``ROUTES``) and role → permissions (``EXPECTED``, which ``twin.auth`` must equal).

The app's routes are enumerated, so a route missing from the table fails the test: a new route
cannot go without a declared permission. Each (route, principal) is a real request to the web
server in its own process; an allowed request must not be refused (401/403: it may well be 400 or
404, the samples are chosen to be cheap and to write nothing), a refused one must get 401 without
credentials and 403 with credentials that lack the permission. Plus the engineer's own networks,
the device's own topics, and audit rows for the API's writes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import iter_route_contexts

from tests.web_fixtures import bearer, first_id, make_device, running_server
from twin.asset_edit import _value
from twin.auth import ROLE_PERMISSIONS, Permission
from twin.config import Settings
from twin.database import create_engine
from twin.errors import InvalidInput
from web.app import create_app

P = Permission
PUBLIC = "public"
"""Open to all: sign-in, the browser app and the API documents."""
SIGNED_IN = "signed in"
"""Any credentials (users and devices) but none."""
OWN_TOKENS = "own tokens"
"""A user's own API tokens: every role that reads, but not the anonymous public."""

EXPECTED: dict[str, set[Permission]] = {
    "viewer": {P.READ},
    "engineer": {P.READ, P.SIMULATE, P.EDIT_NETWORK, P.PLANNING_EDIT},
    "operator": {P.READ, P.SIMULATE, P.INCIDENTS},
    "admin": {P.READ, P.SIMULATE, P.EDIT_NETWORK, P.INCIDENTS, P.PLANNING_EDIT, P.IMPORT, P.USERS,
              P.AUDIT},
    "device": {P.INGEST},
}
"""The roles of the design (issue 7, docs/security.md), written out."""

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("MOUNT", "/"): PUBLIC,  # the browser app's files
    ("POST", "/api/auth/login"): PUBLIC,
    ("POST", "/api/auth/logout"): PUBLIC,
    ("GET", "/api/auth/me"): SIGNED_IN,
    # OGC API Features and Tiles, the app API's reads
    ("GET", "/conformance"): P.READ,
    ("GET", "/collections"): P.READ,
    ("GET", "/collections/{collection_id}"): P.READ,
    ("GET", "/collections/{collection_id}/schema"): P.READ,
    ("GET", "/collections/{collection_id}/items"): P.READ,
    ("GET", "/collections/{collection_id}/items/{item_id}"): P.READ,
    ("GET", "/tileMatrixSets"): P.READ,
    ("GET", "/tileMatrixSets/{tms}"): P.READ,
    ("GET", "/collections/{collection_id}/tiles"): P.READ,
    ("GET", "/collections/{collection_id}/tiles/{tms}"): P.READ,
    ("GET", "/collections/{collection_id}/tiles/{tms}/{z}/{x}/{y}"): P.READ,
    ("HEAD", "/collections/{collection_id}/tiles/{tms}/{z}/{x}/{y}"): P.READ,
    ("GET", "/api/tiles/cache"): P.READ,
    ("GET", "/api/styles"): P.READ,
    ("GET", "/api/assets/{asset_id}"): P.READ,
    ("GET", "/api/state"): P.READ,
    ("GET", "/api/live/stream"): P.READ,
    ("GET", "/api/kpis"): P.READ,
    ("GET", "/api/incidents"): P.READ,
    # writes and simulations
    ("PATCH", "/api/assets/{asset_id}"): P.EDIT_NETWORK,
    ("POST", "/api/incidents"): P.INCIDENTS,
    ("POST", "/api/incidents/{incident_id}/acknowledge"): P.INCIDENTS,
    ("POST", "/api/incidents/{incident_id}/resolve"): P.INCIDENTS,
    ("POST", "/api/simulate/outage"): P.SIMULATE,
    ("POST", "/api/simulate/isolate"): P.SIMULATE,
    ("GET", "/api/simulate/criticality/{network}"): P.SIMULATE,
    ("POST", "/api/simulate/lighting"): P.SIMULATE,
    ("POST", "/api/imports/{kind}"): P.IMPORT,
    # the live ingest: device keys only
    ("POST", "/api/live/observations"): P.INGEST,
    ("POST", "/api/live/observations/{source}"): P.INGEST,
    ("POST", "/api/live/devices/{asset_id}/state"): P.INGEST,
    ("POST", "/api/live/cameras/{camera_id}/events"): P.INGEST,
    # administration (tokens: everyone their own, checked in test_auth)
    ("GET", "/api/admin/users"): P.USERS,
    ("POST", "/api/admin/users"): P.USERS,
    ("PUT", "/api/admin/users/{name}/role"): P.USERS,
    ("PUT", "/api/admin/users/{name}/networks"): P.USERS,
    ("POST", "/api/admin/users/{name}/disable"): P.USERS,
    ("POST", "/api/admin/users/{name}/enable"): P.USERS,
    ("POST", "/api/admin/users/{name}/password"): P.USERS,
    ("GET", "/api/admin/tokens"): OWN_TOKENS,
    ("POST", "/api/admin/tokens"): OWN_TOKENS,
    ("DELETE", "/api/admin/tokens/{token_id}"): OWN_TOKENS,
    ("GET", "/api/admin/devices"): P.USERS,
    ("POST", "/api/admin/devices"): P.USERS,
    ("DELETE", "/api/admin/devices/{name}"): P.USERS,
    ("GET", "/api/admin/audit"): P.AUDIT,
    # planning (simulation.planning)
    ("GET", "/api/planning/summary"): P.READ,
    ("GET", "/api/planning/inventory"): P.READ,
    ("GET", "/api/planning/age-profile"): P.READ,
    ("GET", "/api/planning/materials"): P.READ,
    ("GET", "/api/planning/renewal"): P.READ,
    ("GET", "/api/planning/targets"): P.READ,
    ("GET", "/api/planning/targets/settings"): P.READ,
    ("PUT", "/api/planning/targets/settings/{metric}"): P.PLANNING_EDIT,
    ("GET", "/api/planning/parameters"): P.READ,
    ("PUT", "/api/planning/parameters/{name}"): P.PLANNING_EDIT,
    ("GET", "/api/planning/energy"): P.READ,
    ("POST", "/api/planning/energy/what-if"): P.READ,
    ("GET", "/api/planning/unit-costs"): P.READ,
    ("PUT", "/api/planning/unit-costs/{layer}/{material}"): P.PLANNING_EDIT,
    ("GET", "/api/planning/choropleth"): P.READ,
    ("GET", "/api/planning/report"): P.READ,
}

SAMPLES = {
    "collection_id": "luminaires", "item_id": "LUM-000001", "tms": "WebMercatorQuad",
    "z": "0", "x": "0", "y": "0", "asset_id": "LUM-000001", "incident_id": "999999",
    "network": "no-such-network", "kind": "file", "source": "gw-test", "camera_id": "CAM-000001",
    "name": "no-such-user", "token_id": "999999", "layer": "water_pipes", "material": "PVC",
    "metric": "no-such-metric",
}
"""Path values: an allowed request with them is cheap and writes nothing (bodies are ``[]``,
which every write route refuses with 400)."""
QUERIES = {"/collections/{collection_id}/items": {"limit": "1"},
           "/api/planning/report": {"format": "no-such-format"}}
PRINCIPALS = ("none", "viewer", "engineer", "operator", "admin", "device", "anonymous")
"""``anonymous``: no credentials, on a server run with TWIN_ANONYMOUS_ROLE=viewer."""


def app_routes() -> list[tuple[str, str]]:
    """Every (method, path) the app serves; ``("MOUNT", path)`` for mounted apps."""
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1:1/none"))
    found = []
    for context in iter_route_contexts(app.routes):
        methods = getattr(context, "methods", None)
        if methods is None:
            found.append(("MOUNT", context.path or "/"))
            continue
        for method in sorted(methods - {"HEAD"} if "GET" in methods else methods):
            found.append((method, context.path))
    return found


def allowed(permission: str, principal: str) -> bool:
    if permission == PUBLIC:
        return True
    if principal == "none":
        return False
    if permission == SIGNED_IN:
        return True
    role = "viewer" if principal == "anonymous" else principal
    if permission == OWN_TOKENS:
        return principal != "anonymous" and P.READ in EXPECTED[role]
    return permission in EXPECTED[role]


def test_the_roles_are_the_designs():
    assert {role: set(permissions) for role, permissions in ROLE_PERMISSIONS.items()} == EXPECTED


def test_every_route_declares_its_permission():
    served = set(app_routes())
    missing = sorted(served - set(ROUTES))
    assert not missing, f"routes without a permission in ROUTES: {missing}"
    gone = sorted(set(ROUTES) - served)
    assert not gone, f"ROUTES names routes the app no longer serves: {gone}"


@pytest.fixture(scope="module")
def headers(live_server_users, live_server_device_key) -> dict[str, dict[str, str]]:
    found = {role: credentials.headers for role, credentials in live_server_users.items()}
    return {"none": {}, **found, "device": bearer(live_server_device_key), "anonymous": {}}


@pytest.fixture(scope="module")
def anonymous_server(live_server_database_url) -> Iterator[str]:
    """A second server on the same database, with reads open to the public."""
    with running_server(live_server_database_url, anonymous_role="viewer") as base:
        yield base


def _ask(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> int:
    if method == "MOUNT":  # one of the browser app's files
        method, path = "GET", "/app.js"
    url = path.format(**{k: v for k, v in SAMPLES.items() if "{" + k + "}" in path})
    options: dict[str, Any] = {"headers": headers, "params": QUERIES.get(path)}
    if method in ("POST", "PUT", "PATCH"):
        options["json"] = []
    with client.stream(method, url, **options) as answer:  # the live stream never ends
        return answer.status_code


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_matrix(request, live_server, headers, principal):
    wrong = []
    server = request.getfixturevalue("anonymous_server") if principal == "anonymous" else live_server
    with httpx.Client(base_url=server, timeout=60) as client:
        for method, path in app_routes():
            permission = ROUTES[(method, path)]
            status = _ask(client, method, path, headers[principal])
            if allowed(permission, principal):
                if status in (401, 403):
                    wrong.append(f"{method} {path}: {status}, should be let through")
            else:
                expected = 401 if principal in ("none", "anonymous") else 403
                if status != expected:
                    wrong.append(f"{method} {path}: {status}, should be {expected}")
    assert not wrong, f"{principal} ({len(wrong)} wrong):\n" + "\n".join(wrong)


def test_no_credentials_are_told_how_to_send_them(live_server):
    answer = httpx.get(f"{live_server}/api/kpis")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


# -- an engineer's own networks -------------------------------------------------------------------
@pytest.fixture(scope="module")
def water_engineer(live_server_database_url) -> dict[str, str]:
    engine = create_engine(live_server_database_url)
    from twin import auth

    with engine.begin() as conn:
        auth.create_user(conn, "water-eng", "engineer", networks=["water"])
        token = auth.create_token(conn, "water-eng", "tests")
    engine.dispose()
    return bearer(token)


def test_an_engineer_edits_only_their_own_networks(live_server, live_server_database_url,
                                                   water_engineer, live_server_users):
    pipe = first_id(live_server_database_url, "water_pipes")
    line = first_id(live_server_database_url, "power_lines")
    with httpx.Client(base_url=live_server, timeout=60) as client:
        own = client.patch(f"/api/assets/{pipe}", json={"material": "HDPE", "depth_m": 1.25},
                           headers=water_engineer)
        assert own.status_code == 200, own.text
        assert own.json()["after"] == {"material": "HDPE", "depth_m": 1.25}
        other = client.patch(f"/api/assets/{line}", json={"conductor": "AAC"},
                             headers=water_engineer)
        assert other.status_code == 403 and "power" in other.json()["detail"]
        unknown_column = client.patch(f"/api/assets/{pipe}", json={"geom": "POINT(0 0)"},
                                      headers=water_engineer)
        assert unknown_column.status_code == 400 and "'geom'" in unknown_column.json()["detail"]
        bad_value = client.patch(f"/api/assets/{pipe}", json={"depth_m": "deep"},
                                 headers=water_engineer)
        assert bad_value.status_code == 400 and "depth_m" in bad_value.json()["detail"]
        missing = client.patch("/api/assets/WP-999999", json={"material": "PVC"},
                               headers=water_engineer)
        assert missing.status_code == 404
        for number in (b"NaN", b"Infinity", b"-Infinity"):
            odd = client.patch(f"/api/assets/{pipe}", content=b'{"depth_m": ' + number + b"}",
                               headers={**water_engineer, "Content-Type": "application/json"})
            assert odd.status_code == 400 and "not a finite number" in odd.json()["detail"]
        refused = client.patch(f"/api/assets/{pipe}", json={"condition": "bogus"},
                               headers=water_engineer)  # the table's CHECK says no
        assert refused.status_code == 400 and "SELECT" not in refused.text
        assert "condition" in refused.json()["detail"]
        admin = client.patch(f"/api/assets/{line}", json={"conductor": "AAC"},
                             headers=live_server_users["admin"].headers)
        assert admin.status_code == 200
        audit = client.get("/api/admin/audit", params={"target": pipe},
                           headers=live_server_users["admin"].headers).json()["entries"]
    assert [(e["actor"], e["role"], e["action"], e["table_name"]) for e in audit] == [
        ("water-eng", "engineer", "asset.edit", "water_pipes")]
    assert audit[0]["after"] == {"material": "HDPE", "depth_m": 1.25}
    assert set(audit[0]["before"]) == {"material", "depth_m"}


def test_a_device_posts_only_to_its_own_topics_and_is_named_with_what_it_sent(
        live_server, live_server_database_url):
    key = make_device(live_server_database_url, "lum-1-only", ["twin/devices/LUM-000001/state"])
    gateway = make_device(live_server_database_url, "gw-east", ["twin/observations/gw-east"])
    message = {"state": "on", "time": "2026-01-01T00:00:00Z"}
    with httpx.Client(base_url=live_server, timeout=60) as client:
        own = client.post("/api/live/devices/LUM-000001/state", json=message, headers=bearer(key))
        other = client.post("/api/live/devices/LUM-000002/state", json=message,
                            headers=bearer(key))
        forged = client.post("/api/live/observations/gw-east", headers=bearer(gateway), json={
            "observations": [{"asset_id": "LUM-000002", "property": "state", "value": "off",
                              "time": "2026-01-01T00:00:01Z"},
                             {"asset_id": "LUM-999999", "property": "state", "value": "off",
                              "time": "2026-01-01T00:00:01Z"}]})
    assert own.status_code == 200 and own.json()["stored"] == 1, own.text
    assert other.status_code == 403 and "twin/devices/LUM-000002/state" in other.json()["detail"]
    assert forged.status_code == 200 and forged.json()["dead_lettered"] == 1
    engine = create_engine(live_server_database_url)
    with engine.connect() as conn:
        history = conn.execute(sa.text(
            "SELECT asset_id, value_text, sent_by FROM live_history WHERE asset_id IN "
            "('LUM-000001', 'LUM-000002') AND observed_at < '2026-01-02' ORDER BY asset_id")).all()
        dead = conn.execute(sa.text("SELECT sent_by FROM live_dead_letters "
                                    "WHERE detail LIKE '%%LUM-999999%%'")).scalars().all()
    engine.dispose()
    assert [tuple(row) for row in history] == [("LUM-000001", "on", "lum-1-only"),
                                               ("LUM-000002", "off", "gw-east")]
    assert dead == ["gw-east"]


def test_an_edit_refuses_numbers_that_are_not_finite():
    from layers import LAYERS

    depth = LAYERS["water_pipes"].table.c.depth_m
    assert _value(depth, 1.5) == 1.5
    for number in (math.nan, math.inf, -math.inf):
        with pytest.raises(InvalidInput, match="not a finite number"):
            _value(depth, number)


def test_an_open_live_stream_ends_when_its_token_is_revoked(live_server, live_server_database_url):
    from twin import auth

    engine = create_engine(live_server_database_url)
    with engine.begin() as conn:
        auth.create_user(conn, "watcher", "viewer")
        token = auth.create_token(conn, "watcher", "wall screen")
        token_id = conn.execute(sa.text("SELECT id FROM api_tokens WHERE label = 'wall screen'")
                                ).scalar_one()
    ended = False
    with httpx.Client(base_url=live_server, timeout=30, headers=bearer(token)) as client, \
            client.stream("GET", "/api/live/stream") as answer:
        assert answer.status_code == 200
        lines = answer.iter_lines()
        assert next(lines) == ": listening"
        with engine.begin() as conn:
            auth.revoke_token(conn, token_id)
        deadline = time.monotonic() + 25
        for _ in lines:
            if time.monotonic() > deadline:
                break
        else:
            ended = True
    engine.dispose()
    assert ended, "the stream kept running after its token was revoked"
