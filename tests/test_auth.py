"""Users, tokens, sessions and device keys (twin.auth, twin.devices, web.auth, web.routes.auth)
on a real PostGIS: secrets kept only as hashes, sign-in and out, expiry, revocation, the
anonymous role."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import run_twin
from tests.web_fixtures import client_class, client_for
from twin import auth, devices
from twin.config import Settings
from twin.errors import Conflict, InvalidInput
from web.app import create_app
from web.auth import COOKIE


def test_passwords_tokens_and_keys_are_kept_only_as_hashes(conn):
    password = auth.create_user(conn, "lan", "engineer", networks=["water"])
    token = auth.create_token(conn, "lan", "qgis")
    key = devices.create_device(conn, "gw-north", ["twin/observations/gw-north"])
    dump = "\n".join(str(row) for table in ("users", "api_tokens", "device_credentials")
                     for row in conn.execute(sa.text(f"SELECT * FROM {table}")))
    dump += "\n".join(str(row) for row in conn.execute(sa.text("SELECT * FROM audit_log")))
    for secret in (password, token, key):
        assert secret not in dump
    stored = conn.execute(sa.text("SELECT password_hash FROM users WHERE name = 'lan'")).scalar()
    assert stored.startswith("$argon2id$")
    assert conn.execute(sa.text("SELECT token_hash FROM api_tokens")).scalar() == \
        hashlib.sha256(token.encode()).hexdigest()
    assert auth.check_login(conn, "lan", password).role == "engineer"
    assert auth.check_login(conn, "lan", password + "x") is None
    assert auth.check_login(conn, "nobody", password) is None


def test_generated_passwords_differ_and_bad_input_is_named(conn):
    first = auth.create_user(conn, "a1", "viewer")
    second = auth.create_user(conn, "a2", "viewer")
    assert first != second and len(first) >= 20
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        auth.create_user(conn, "a3", "boss")
    with pytest.raises(InvalidInput, match="unknown network 'gas'"):
        auth.create_user(conn, "a3", "engineer", networks=["gas"])
    with pytest.raises(InvalidInput, match="at least 10"):
        auth.create_user(conn, "a3", "viewer", password="short")
    with pytest.raises(InvalidInput, match="user name 'a b'"):
        auth.create_user(conn, "a b", "viewer")
    with pytest.raises(Conflict, match="'a1' exists"):
        auth.create_user(conn, "a1", "viewer")


def test_the_mqtt_hash_is_mosquittos_pbkdf2_sha512():
    salt = bytes(range(12))
    text = devices.mosquitto_hash("secret", salt=salt)
    _, seven, iterations, salt_b64, digest_b64 = text.split("$")
    assert (seven, iterations) == ("7", "101")
    assert base64.b64decode(salt_b64) == salt
    assert base64.b64decode(digest_b64) == hashlib.pbkdf2_hmac("sha512", b"secret", salt, 101)


@pytest.mark.parametrize(("topic", "patterns", "allowed"), [
    ("twin/devices/LUM-1/state", ["twin/devices/LUM-1/state"], True),
    ("twin/devices/LUM-2/state", ["twin/devices/LUM-1/state"], False),
    ("twin/devices/LUM-2/state", ["twin/devices/+/state"], True),
    ("twin/observations/gw", ["twin/#"], True),
    ("twin/observations", ["twin/observations/#"], True),
    ("twin/observations/gw/x", ["twin/observations/+"], False),
    ("twin/observations", ["twin/observations/+"], False),
])
def test_topic_patterns(topic, patterns, allowed):
    assert devices.topic_allowed(topic, patterns) is allowed


def test_a_token_stops_working_when_revoked_expired_or_its_user_disabled(conn):
    auth.create_user(conn, "mai", "operator")
    token = auth.create_token(conn, "mai", "script")
    assert auth.principal_for_secret(conn, token) == auth.Principal("mai", "operator", "token")
    token_id = conn.execute(sa.text("SELECT id FROM api_tokens")).scalar()
    assert auth.revoke_token(conn, token_id) == auth.secret_hash(token)
    assert auth.principal_for_secret(conn, token) is None
    expired = auth.create_token(conn, "mai", "old")
    conn.execute(sa.text("UPDATE api_tokens SET expires_at = now() - interval '1 s' "
                         "WHERE label = 'old'"))
    assert auth.principal_for_secret(conn, expired) is None
    with pytest.raises(InvalidInput, match="already past"):
        auth.create_token(conn, "mai", "dead", expires_at=datetime.now(UTC) - timedelta(hours=1))
    other = auth.create_token(conn, "mai", "other")
    auth.disable_user(conn, "mai")
    assert auth.principal_for_secret(conn, other) is None
    with pytest.raises(Conflict, match="disabled"):
        auth.create_token(conn, "mai", "more")


def test_a_token_notes_its_use_at_most_every_few_minutes(conn):
    """A lookup writes ``last_used_at`` only when the mark is older than ``USED_EVERY``, so
    concurrent lookups of one token do not queue on its row."""
    auth.create_user(conn, "lan", "viewer")
    token = auth.create_token(conn, "lan", "script")

    def used_ago() -> timedelta | None:
        return conn.execute(sa.text("SELECT now() - last_used_at FROM api_tokens")).scalar()

    assert used_ago() is None
    auth.principal_for_secret(conn, token)
    assert used_ago() == timedelta(0)
    conn.execute(sa.text("UPDATE api_tokens SET last_used_at = now() - interval '4 min'"))
    auth.principal_for_secret(conn, token)
    assert used_ago() == timedelta(minutes=4)  # recent enough: not written again
    conn.execute(sa.text("UPDATE api_tokens SET last_used_at = now() - interval '6 min'"))
    auth.principal_for_secret(conn, token)
    assert used_ago() == timedelta(0)


def eventually(check: Callable[[], bool], patience_s: float = 15.0) -> bool:
    """Whether ``check`` comes true within ``patience_s`` (a notification on its way)."""
    deadline = time.monotonic() + patience_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _users(url: str) -> dict[str, str]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        passwords = {"ha": auth.create_user(conn, "ha", "viewer", password="a-long-password")}
    engine.dispose()
    return passwords


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        assert client.get("/api/auth/me").status_code == 401
        wrong = client.post("/api/auth/login", json={"name": "ha", "password": "wrong-password"})
        unknown = client.post("/api/auth/login", json={"name": "nobody", "password": "x" * 12})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() == {"detail": "wrong name or password"}
        answer = client.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert answer.status_code == 200
        assert answer.json()["role"] == "viewer" and answer.json()["permissions"] == ["read"]
        cookie = answer.headers["set-cookie"]
        assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower() and "Max-Age=43200" in cookie
        assert "secure" not in cookie.lower()  # http here; https gets Secure
        assert client.get("/api/auth/me").json()["name"] == "ha"
        assert client.get("/api/kpis").status_code == 200
        client.post("/api/auth/logout")
        assert client.get("/api/auth/me").status_code == 401
        assert client.get("/api/kpis").status_code == 401


def test_a_stolen_session_cookie_is_dead_after_sign_out(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        client.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        secret = client.cookies[COOKIE]
        client.post("/api/auth/logout")
    with client_for(database_url, role=None) as other:  # another process: nothing cached
        other.cookies.set(COOKIE, secret)
        assert other.get("/api/auth/me").status_code == 401


def test_an_expired_session_is_refused(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        client.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert client.get("/api/auth/me").status_code == 200
        engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE api_tokens SET expires_at = now() - interval '1 s' "
                                 "WHERE kind = 'session'"))
        engine.dispose()
        client.app.state.auth_cache.forget()  # as another server process would not have it
        assert client.get("/api/auth/me").status_code == 401


def test_failed_sign_ins_back_off(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        codes = [client.post("/api/auth/login", json={"name": "ha", "password": f"wrong-{i}"}
                             ).status_code for i in range(6)]
        assert codes[:5] == [401] * 5
        assert codes[5] == 429
        blocked = client.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_the_anonymous_role_opens_reads_only(database_url):
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1,
                              anonymous_role="viewer"))
    with client_class()(app) as client:
        assert client.get("/api/kpis").status_code == 200
        assert client.get("/api/auth/me").json()["kind"] == "anonymous"
        assert client.post("/api/simulate/isolate", json={"asset": "x"}).status_code == 401
        bad = client.get("/api/kpis", headers={"Authorization": "Bearer twt_nope"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    with client_for(database_url, role=None) as closed:
        refused = closed.get("/api/kpis")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"


def test_everyone_manages_their_own_tokens_and_a_revoked_one_stops_at_once(database_url):
    with client_for(database_url, role="viewer") as viewer:
        made = viewer.post("/api/admin/tokens", json={"label": "notebook"})
        assert made.status_code == 201 and made.json()["token"].startswith("twt_")
        secret = made.json()["token"]
        assert viewer.post("/api/admin/tokens", json={"label": "x", "user": "test-admin"}
                           ).status_code == 403
        assert viewer.get("/api/admin/tokens", params={"every": True}).status_code == 403
        listed = viewer.get("/api/admin/tokens").json()["tokens"]
        assert {t["label"] for t in listed} == {"tests", "notebook"}  # the fixture's and this
        assert all("hash" not in key for t in listed for key in t)
        mine = next(t["id"] for t in listed if t["label"] == "notebook")
        own = {"Authorization": f"Bearer {secret}"}
        assert viewer.get("/api/auth/me", headers=own).json()["kind"] == "token"  # now cached
        assert viewer.delete(f"/api/admin/tokens/{mine}").status_code == 200
        assert viewer.get("/api/auth/me", headers=own).status_code == 401  # forgotten at once
    with client_for(database_url) as admin:
        others = admin.get("/api/admin/tokens", params={"every": True}).json()["tokens"]
        admins = next(t["id"] for t in others if t["user_name"] == "test-admin")
    with client_for(database_url, role="viewer") as viewer:
        assert viewer.delete(f"/api/admin/tokens/{admins}").status_code == 404


def test_a_disabled_user_is_refused_and_cannot_sign_in(database_url):
    _users(database_url)
    with client_for(database_url) as admin, client_for(database_url, role=None) as ha:
        ha.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert ha.get("/api/kpis").status_code == 200
        assert admin.post("/api/admin/users/ha/disable").status_code == 200
        assert admin.post("/api/admin/users/test-admin/disable").status_code == 409
        assert admin.post("/api/admin/users/nobody/disable").status_code == 404
        # two TestClients are two apps, as two server processes are: the other one hears of
        # it (NOTIFY twin_auth) when the change commits
        assert eventually(lambda: ha.get("/api/kpis").status_code == 401)
        again = ha.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert again.status_code == 401 and again.json() == {"detail": "wrong name or password"}
        users = admin.get("/api/admin/users").json()["users"]
        assert next(u for u in users if u["name"] == "ha")["disabled_at"] is not None
        assert all("password_hash" not in u for u in users)


def test_enabling_a_user_tells_every_server(database_url):
    """A server that cached a disabled user's secrets as refused hears that they work again."""
    import psycopg

    _users(database_url)
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        auth.disable_user(conn, "ha")
    libpq_url = sa.make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(libpq_url.render_as_string(hide_password=False),
                         autocommit=True) as listener:
        listener.execute("LISTEN twin_auth")
        with engine.begin() as conn:
            auth.enable_user(conn, "ha")
        heard = next(listener.notifies(timeout=10), None)
    engine.dispose()
    assert heard is not None and heard.channel == "twin_auth"


def test_admins_add_users_with_a_generated_password_shown_once(database_url):
    with client_for(database_url) as admin, client_for(database_url, role=None) as anyone:
        made = admin.post("/api/admin/users", json={"name": "tuan", "role": "engineer",
                                                   "networks": ["power", "road"]}).json()
        assert set(made) == {"name", "role", "networks", "password"}
        signed = anyone.post("/api/auth/login", json={"name": "tuan", "password": made["password"]})
        assert signed.json()["networks"] == ["power", "road"]
        assert "edit_network" in signed.json()["permissions"]
        bad = admin.post("/api/admin/users", json={"name": "x", "role": "boss"})
        assert bad.status_code == 400 and "boss" in bad.json()["detail"]
        assert admin.post("/api/admin/users", json={"name": "tuan", "role": "viewer"}
                          ).status_code == 409
        device = admin.post("/api/admin/devices", json={"name": "gw", "topics": ["nope"]})
        assert device.status_code == 400 and "'nope'" in device.json()["detail"]


def test_a_cli_revocation_reaches_a_running_server(database_url):
    with client_for(database_url, role="operator") as operator:
        assert operator.get("/api/kpis").status_code == 200  # cached from now on
        env = {"TWIN_DATABASE_URL": database_url}
        run_twin("users", "disable", "test-operator", env=env)
        assert eventually(lambda: operator.get("/api/kpis").status_code == 401)


def test_the_session_cookie_is_secure_over_https(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        client.base_url = "https://testserver"
        answer = client.post("/api/auth/login", json={"name": "ha", "password": "a-long-password"})
        assert "secure" in answer.headers["set-cookie"].lower()


# -- the review's findings ------------------------------------------------------------------------
def _login(client, password: str = "a-long-password"):
    return client.post("/api/auth/login", json={"name": "ha", "password": password})


def test_a_stranger_cannot_lock_a_user_out(database_url, caplog):
    _users(database_url)
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1))
    with client_class()(app, client=("203.0.113.9", 5000)) as stranger:
        codes = [_login(stranger, f"wrong-{i}").status_code for i in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        assert _login(stranger).status_code == 429  # from there, even the right password waits
        owner = client_class()(app, client=("198.51.100.7", 5000))  # same server, clean address
        assert _login(owner).status_code == 200
    failed = [r for r in caplog.records if r.name == "web.routes.auth" and r.levelname == "WARNING"]
    assert any("'ha'" in r.getMessage() and "203.0.113.9" in r.getMessage() for r in failed)
    assert "wrong-1" not in caplog.text and "a-long-password" not in caplog.text


def test_a_sign_in_name_cannot_forge_a_log_line(database_url, caplog):
    with client_for(database_url, role=None) as client:
        forged = "ha' from 10.0.0.1\nWARNING failed sign-in for 'admin"
        client.post("/api/auth/login", json={"name": forged, "password": "wrong-password"})
    failed = [r.getMessage() for r in caplog.records if r.name == "web.routes.auth"]
    assert failed and all("\n" not in message for message in failed)


def test_argon2_runs_with_no_database_connection_held(database_url, monkeypatch):
    from web.routes import auth as login_routes

    _users(database_url)
    seen = []

    def verify(stored: str, password: str) -> bool:
        seen.append((client.app.state.engine.pool.checkedout(),
                     login_routes._verifying._value < login_routes.VERIFY_AT_ONCE))
        return auth.verify_password(stored, password)

    monkeypatch.setattr(login_routes, "verify_password", verify)
    with client_for(database_url, role=None) as client:
        assert _login(client).status_code == 200
        assert _login(client, "wrong-password").status_code == 401
    assert seen == [(0, True), (0, True)]  # no connection out, inside the semaphore


def test_a_password_reset_revokes_api_tokens_and_tokens_expire(conn):
    auth.create_user(conn, "lan", "engineer")
    token = auth.create_token(conn, "lan", "script")
    expires = conn.execute(sa.text("SELECT expires_at FROM api_tokens")).scalar_one()
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    auth.set_password(conn, "lan", keep_tokens=True)
    assert auth.principal_for_secret(conn, token) is not None
    auth.set_password(conn, "lan")
    assert auth.principal_for_secret(conn, token) is None
    with pytest.raises(InvalidInput, match="at most 90 days"):
        auth.create_token(conn, "lan", "forever", expires_at=datetime.now(UTC) + timedelta(days=91))
    with pytest.raises(InvalidInput, match="at most 7 days"):
        auth.create_token(conn, "lan", "week", max_days=7,
                          expires_at=datetime.now(UTC) + timedelta(days=8))


def test_a_browser_session_needs_the_password_to_make_a_token(database_url):
    _users(database_url)
    with client_for(database_url, role=None) as client:
        _login(client)
        assert client.post("/api/admin/tokens", json={"label": "x"}).status_code == 403
        wrong = client.post("/api/admin/tokens", json={"label": "x", "password": "not-mine-at-all"})
        assert wrong.status_code == 403 and "wrong password" in wrong.json()["detail"]
        made = client.post("/api/admin/tokens", json={"label": "x", "password": "a-long-password"})
        assert made.status_code == 201, made.text
        left = datetime.fromisoformat(made.json()["expires_at"]) - datetime.now(UTC)
        assert timedelta(days=89) < left <= timedelta(days=90)
        too_long = client.post("/api/admin/tokens", json={
            "label": "y", "password": "a-long-password",
            "expires_at": (datetime.now(UTC) + timedelta(days=400)).isoformat()})
        assert too_long.status_code == 400 and "90 days" in too_long.json()["detail"]


def test_a_token_makes_no_token_that_outlives_it(database_url):
    with client_for(database_url, role="viewer") as viewer:
        engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        until = datetime.now(UTC) + timedelta(days=10)
        with engine.begin() as conn:
            maker = auth.create_token(conn, "test-viewer", "short", expires_at=until)
        engine.dispose()
        viewer.headers["Authorization"] = f"Bearer {maker}"
        made = viewer.post("/api/admin/tokens", json={"label": "relay"})
        assert made.status_code == 201
        assert datetime.fromisoformat(made.json()["expires_at"]) <= until  # no renewing itself
        later = (until + timedelta(days=1)).isoformat()
        refused = viewer.post("/api/admin/tokens", json={"label": "relay", "expires_at": later})
        assert refused.status_code == 400 and "outlive" in refused.json()["detail"]


def test_a_lookup_that_raced_a_revocation_is_not_cached():
    from web.auth import AuthCache

    cache = AuthCache()
    principal = auth.Principal("mai", "operator", "token")
    before = cache.generation
    cache.forget("somebody's hash")  # a revocation heard while the lookup ran
    cache.put("digest", principal, since=before)
    assert cache.get("digest") == (False, None)
    cache.put("digest", principal, since=cache.generation)
    assert cache.get("digest") == (True, principal)


def test_a_forget_from_a_handler_thread_is_not_undone_by_a_put_under_way(monkeypatch):
    """A sync route (a revocation, a sign-out) forgets in a worker thread while the event loop
    may be storing what a lookup found: the forget must win, whatever the interleaving."""
    import threading

    import web.auth
    from web.auth import AuthCache

    cache = AuthCache()
    since = cache.generation
    forgetter = threading.Thread(target=cache.forget, args=("digest",))
    clock = time.monotonic

    def monotonic() -> float:  # put() reads the clock between its check and its write
        if forgetter.ident is None:
            forgetter.start()
            forgetter.join(0.5)  # let the forget run now, if nothing holds it back
        return clock()

    monkeypatch.setattr(web.auth.time, "monotonic", monotonic)
    cache.put("digest", auth.Principal("mai", "operator", "token"), since=since)
    forgetter.join()
    monkeypatch.undo()
    assert cache.get("digest") == (False, None)


def test_reserved_names_and_the_last_admin(conn):
    for name in ("system", "System", "anonymous"):
        with pytest.raises(InvalidInput, match="reserved"):
            auth.create_user(conn, name, "viewer")
    with pytest.raises(InvalidInput, match="reserved"):
        devices.create_device(conn, "urban-twin-ingester", ["twin/#"])
    auth.create_user(conn, "boss", "admin")
    with pytest.raises(Conflict, match="last active admin"):
        auth.set_role(conn, "boss", "viewer")
    with pytest.raises(Conflict, match="last active admin"):
        auth.disable_user(conn, "boss")
    auth.create_user(conn, "deputy", "admin")
    auth.set_role(conn, "boss", "viewer")
    with pytest.raises(Conflict, match="'deputy' is the last active admin"):
        auth.disable_user(conn, "deputy")


def test_ipv6_clients_count_by_their_64_and_ipv4_ones_by_their_address():
    from web.auth import client_address

    def at(host: str) -> str:
        return client_address({"type": "http", "client": (host, 1), "headers": []})

    assert at("2001:db8::1") == at("2001:db8::ffff:1") == "2001:db8::/64"
    assert at("2001:db8:0:1::1") != at("2001:db8::1")
    assert at("203.0.113.9") == "203.0.113.9"
    # a dual-stack socket (twin serve --workers N on ::) sees IPv4 clients as ::ffff:a.b.c.d:
    # each is its own address, not one /64 shared by every IPv4 client
    assert at("::ffff:203.0.113.9") == "203.0.113.9"
    assert at("::ffff:198.51.100.7") == "198.51.100.7"
