"""The permission matrix: every route of the app × {no credentials, viewer, engineer, operator,
admin, device} answers as designed, from ONE table of route → permission (``ROUTES``).

The app's routes are enumerated, so a route missing from the table fails the test: a new route
cannot go without a declared permission. Each (route, principal) is a real request to the web
server in its own process; an allowed request must not be refused (401/403: it may well be 400 or
404, the samples are chosen to be cheap and to write nothing), a refused one must get 401 without
credentials and 403 with credentials that lack the permission. Plus the engineer's own networks,
the device's own topics, and audit rows for the API's writes.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import iter_route_contexts

from tests.web_fixtures import bearer, make_device
from twin.auth import ROLE_PERMISSIONS, Permission
from twin.config import Settings
from twin.database import create_engine
from web.app import create_app

P = Permission
PUBLIC = "public"
"""Open to all: sign-in, the browser app and the API documents."""
SIGNED_IN = "signed in"
"""Any credentials (users and devices) but none."""

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
    ("GET", "/api/admin/tokens"): P.READ,
    ("POST", "/api/admin/tokens"): P.READ,
    ("DELETE", "/api/admin/tokens/{token_id}"): P.READ,
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
PRINCIPALS = ("none", "viewer", "engineer", "operator", "admin", "device")


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
    return permission in ROLE_PERMISSIONS[principal]


def test_every_route_declares_its_permission():
    served = set(app_routes())
    missing = sorted(served - set(ROUTES))
    assert not missing, f"routes without a permission in ROUTES: {missing}"
    gone = sorted(set(ROUTES) - served)
    assert not gone, f"ROUTES names routes the app no longer serves: {gone}"


@pytest.fixture(scope="module")
def headers(live_server_users, live_server_device_key) -> dict[str, dict[str, str]]:
    found = {role: credentials.headers for role, credentials in live_server_users.items()}
    return {"none": {}, **found, "device": bearer(live_server_device_key)}


def _ask(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.format(**{k: v for k, v in SAMPLES.items() if "{" + k + "}" in path})
    options: dict[str, Any] = {"headers": headers, "params": QUERIES.get(path)}
    if method in ("POST", "PUT", "PATCH"):
        options["json"] = []
    with client.stream(method, url, **options) as answer:  # the live stream never ends
        return answer.status_code


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_matrix(live_server, headers, principal):
    wrong = []
    with httpx.Client(base_url=live_server, timeout=60) as client:
        for method, path in app_routes():
            if method == "MOUNT":
                continue
            permission = ROUTES[(method, path)]
            status = _ask(client, method, path, headers[principal])
            if allowed(permission, principal):
                if status in (401, 403):
                    wrong.append(f"{method} {path}: {status}, should be let through")
            else:
                expected = 401 if principal == "none" else 403
                if status != expected:
                    wrong.append(f"{method} {path}: {status}, should be {expected}")
    assert not wrong, f"{principal} ({len(wrong)} wrong):\n" + "\n".join(wrong)


def test_no_credentials_are_told_how_to_send_them(live_server):
    answer = httpx.get(f"{live_server}/api/kpis")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


# -- an engineer's own networks -------------------------------------------------------------------
def _engine(url: str) -> sa.Engine:
    return create_engine(url)


@pytest.fixture(scope="module")
def water_engineer(live_server_database_url) -> dict[str, str]:
    engine = _engine(live_server_database_url)
    from twin import auth

    with engine.begin() as conn:
        auth.create_user(conn, "water-eng", "engineer", networks=["water"])
        token = auth.create_token(conn, "water-eng", "tests")
    engine.dispose()
    return bearer(token)


def _first_id(url: str, table: str) -> str:
    engine = _engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    return str(found)


def test_an_engineer_edits_only_their_own_networks(live_server, live_server_database_url,
                                                   water_engineer, live_server_users):
    pipe = _first_id(live_server_database_url, "water_pipes")
    line = _first_id(live_server_database_url, "power_lines")
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


def test_a_device_posts_only_to_its_own_topics(live_server, live_server_database_url):
    key = make_device(live_server_database_url, "lum-1-only", ["twin/devices/LUM-000001/state"])
    message = {"state": "on", "observed_at": "2026-01-01T00:00:00Z"}
    with httpx.Client(base_url=live_server, timeout=60, headers=bearer(key)) as client:
        own = client.post("/api/live/devices/LUM-000001/state", json=message)
        other = client.post("/api/live/devices/LUM-000002/state", json=message)
    assert own.status_code not in (401, 403)
    assert other.status_code == 403 and "twin/devices/LUM-000002/state" in other.json()["detail"]
