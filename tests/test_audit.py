"""The audit log (twin.audit): every write through the API or the CLI leaves one row, in the
write's own transaction, saying who, what, when, before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import wntr

from tests.conftest import run_twin
from tests.web_fixtures import client_for
from twin import auth
from twin.audit import cli_actor, query_audit, record
from twin.commands.users import announce_demo_admin, record_demo_build
from twin.database import create_engine
from twin.live import raise_incident

NET1 = Path(wntr.__file__).parent / "library" / "networks" / "Net1.inp"


def rows(url: str, **filters: str) -> list[dict]:
    engine = create_engine(url)
    with engine.connect() as conn:
        frame = query_audit(conn, limit=1000, **filters)
    engine.dispose()
    return frame.sort_values("id").to_dict(orient="records")


def test_a_row_is_kept_only_if_its_write_commits(conn):
    auth.create_user(conn, "lan", "engineer")
    record(conn, actor="lan", action="asset.edit", table="water_pipes", target="WP-000001",
           before={"material": "PVC"}, after={"material": "HDPE", "at": datetime(2026, 1, 1)})
    found = query_audit(conn, actor="lan").iloc[0]
    assert (found.role, found.action, found.before, found.after) == (
        "engineer", "asset.edit", {"material": "PVC"},
        {"material": "HDPE", "at": "2026-01-01T00:00:00"})
    nested = conn.begin_nested()
    record(conn, actor="lan", action="asset.edit", table="water_pipes", target="WP-000002",
           before=None, after=None)
    nested.rollback()
    assert query_audit(conn, target="WP-000002").empty
    assert query_audit(conn, since=datetime.now(UTC) + timedelta(hours=1)).empty
    assert cli_actor().startswith("cli:")


@pytest.fixture
def incident_city(demo_database_url):
    engine = create_engine(demo_database_url)
    with engine.begin() as conn:
        incident = raise_incident(conn, "luminaire_off_at_night", ["LUM-000001"])
    engine.dispose()
    return demo_database_url, incident.id


def test_api_writes_are_audited(incident_city):
    url, incident_id = incident_city
    with client_for(url, role="operator") as operator:
        acknowledged = operator.post(f"/api/incidents/{incident_id}/acknowledge",
                                     json={"who": "crew 3"})
        assert acknowledged.json()["acknowledged_by"] == "test-operator for crew 3"
        operator.post(f"/api/incidents/{incident_id}/resolve", json={"note": "lamp replaced"})
    with client_for(url) as admin:  # admin
        made = admin.post("/api/admin/users", json={"name": "minh", "role": "viewer"}).json()
        admin.put("/api/admin/users/minh/role", json={"role": "engineer"})
        admin.put("/api/admin/users/minh/networks", json={"networks": ["water"]})
        admin.post("/api/admin/users/minh/password", json={})
        token = admin.post("/api/admin/tokens", json={"label": "etl", "user": "minh"}).json()
        token_id = admin.get("/api/admin/tokens", params={"user": "minh"}).json()["tokens"][0]["id"]
        admin.delete(f"/api/admin/tokens/{token_id}")
        admin.post("/api/admin/devices", json={"name": "gw-1", "topics": ["twin/observations/gw-1"]})
        admin.delete("/api/admin/devices/gw-1")
        admin.post("/api/admin/users/minh/disable")
        entries = admin.get("/api/admin/audit", params={"limit": 100}).json()["entries"]
    mine = [(e["actor"], e["action"], e["target"]) for e in reversed(entries)
            if e["actor"] != "system"]
    admin_name = "test-admin"
    assert mine == [
        ("test-operator", "incident.acknowledge", str(incident_id)),
        ("test-operator", "incident.resolve", str(incident_id)),
        (admin_name, "user.create", "minh"),
        (admin_name, "user.role", "minh"),
        (admin_name, "user.networks", "minh"),
        (admin_name, "user.password", "minh"),
        (admin_name, "token.create", str(token_id)),
        (admin_name, "token.revoke", str(token_id)),
        (admin_name, "device.create", "gw-1"),
        (admin_name, "device.revoke", "gw-1"),
        (admin_name, "user.disable", "minh"),
    ]
    by_action = {e["action"]: e for e in entries}
    assert by_action["incident.resolve"]["before"]["status"] == "acknowledged"
    assert by_action["incident.resolve"]["after"]["status"] == "resolved"
    assert by_action["user.role"]["before"] == {"role": "viewer"}
    assert by_action["user.role"]["after"] == {"role": "engineer"}
    assert by_action["incident.acknowledge"]["role"] == "operator"
    text = str(entries)
    assert made["password"] not in text and token["token"] not in text


def test_cli_writes_are_audited(incident_city):
    url, incident_id = incident_city
    env = {"TWIN_DATABASE_URL": url}
    run_twin("incidents", "ack", str(incident_id), "--who", "Lan", env=env)
    run_twin("incidents", "resolve", str(incident_id), "--who", "Lan", "--note", "done", env=env)
    run_twin("incidents", "raise", "fire", "BLD-000001", env=env)
    added = run_twin("users", "add", "hoa", "--role", "engineer", "--network", "water", env=env)
    password = added.stdout.strip()
    token = run_twin("users", "token", "hoa", "--label", "qgis", env=env).stdout.strip()
    key = run_twin("devices", "add", "gw-2", "--topic", "twin/observations/gw-2", env=env
                   ).stdout.strip()
    run_twin("users", "passwd", "hoa", env=env)
    run_twin("devices", "revoke", "gw-2", env=env)
    run_twin("users", "disable", "hoa", env=env)
    run_twin("import", "epanet", str(NET1), env=env)
    found = rows(url)
    actions = [r["action"] for r in found if r["actor"].startswith("cli:")]
    assert actions == ["incident.acknowledge", "incident.resolve", "incident.raise", "user.create",
                       "token.create", "device.create", "user.password", "device.revoke",
                       "user.disable", "import.epanet"]
    imported = found[-1]
    shown = run_twin("audit", "--limit", "1", env={**env, "COLUMNS": "200"})
    assert "import.epanet" in shown.stdout + shown.stderr
    assert imported["target"] == "Net1.inp" and imported["actor"] == cli_actor()
    detail = imported["detail"]
    assert detail["written"]["water_pipes"] == 12 and detail["total"] == sum(
        detail["written"].values())
    assert (imported["after"]["rows"]["water_pipes"] - imported["before"]["rows"]["water_pipes"]
            == 12)
    engine = create_engine(url)
    with engine.connect() as conn:
        everything = " ".join(str(r) for table in ("audit_log", "users", "api_tokens",
                                                   "device_credentials")
                              for r in conn.execute(sa.text(f"SELECT * FROM {table}")))
    engine.dispose()
    for secret in (password, token, key):
        assert len(secret) >= 20 and secret not in everything


def test_the_demo_makes_an_admin_once_with_a_generated_password(engine, capsys):
    announce_demo_admin(engine)
    password = capsys.readouterr().out.strip()
    assert len(password) >= 20
    with engine.begin() as conn:
        assert auth.check_login(conn, "admin", password).role == "admin"
    announce_demo_admin(engine)  # there is an admin: nothing made, nothing shown
    assert capsys.readouterr().out == ""


def test_the_audit_log_is_append_only(conn):
    record(conn, actor="lan", action="asset.edit", table="water_pipes", target="WP-000001",
           before=None, after=None)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):
        attempt = conn.begin_nested()
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text(statement))
        attempt.rollback()
    assert query_audit(conn, actor="lan").action.tolist() == ["asset.edit"]


def test_the_demo_build_is_audited(engine):
    record_demo_build(engine, scale=0.05, seed=7, replace=True, written={"trees": 10, "roads": 5})
    with engine.connect() as conn:
        found = query_audit(conn, target="demo city").iloc[0]
    assert (found.action, found.actor, found.after) == ("demo.build", cli_actor(), {"rows": 15})
    assert found.detail == {"scale": 0.05, "seed": 7, "replace": True,
                            "written": {"trees": 10, "roads": 5}}
