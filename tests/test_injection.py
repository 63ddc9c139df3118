"""SQL-injection and path-traversal strings in every parameter of every route change nothing and
leak nothing, on a copy of the small demo city.

Every path and query parameter of every GET operation of the OpenAPI document (and the items
route's property filters, which the document cannot list), every path parameter and every string
in the JSON body of the write operations, and the live ingest's messages get each of
:data:`PAYLOADS`. No answer may be a 5xx or hold a stack trace or SQL, and afterwards every
table holds as many rows as before with the same data version (the live ingest keeps a message
it cannot use as a dead letter: that table alone may grow).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from tests.web_fixtures import bearer, client_for, make_device
from twin.database import create_engine
from twin.schema import metadata

PAYLOADS = [
    "' OR 1=1--",
    "1;DROP TABLE luminaires",
    "luminaires\"--",
    "1) OR (1=1",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "a\x00b",
    "x" * 5000,
    "Đường Hùng Vương 🚦 ١٢٣ \u202e",
    "$(reboot)`id`",
    "<script>alert(1)</script>",
    "-1",
    "99999999999999999999999",
]
LEAKS = ("Traceback", 'File "/', "[SQL", "sqlalchemy", "psycopg", "SELECT ", "INSERT INTO",
         "DETAIL:", "LINE 1:")
SKIPPED = {("get", "/api/live/stream")}  # an endless event stream
MAY_GROW = {"live_dead_letters"}
"""What a refused live message leaves behind by design."""
UNVERSIONED_WRITES = {"api_tokens"}
"""Using a token notes when (last_used_at): its version may move, its rows may not."""
TRAVERSALS = ["/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
              "/assets/..%2f..%2f..%2f..%2fpyproject.toml", "/%00", "/index.html%00.txt",
              "/collections/..%2f..%2fetc%2fpasswd/items"]


def _sample(schema: dict[str, Any], payload: str, components: dict[str, Any]) -> Any:
    """A value of ``schema`` with ``payload`` in every string (and every free key)."""
    if "$ref" in schema:
        return _sample(components[schema["$ref"].rsplit("/", 1)[-1]], payload, components)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _sample(options[0], payload, components) if options else None
    kind = schema.get("type")
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(schema.get("items", {"type": "string"}), payload, components)]
    if kind == "object" or "properties" in schema:
        value = {name: _sample(s, payload, components)
                 for name, s in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            value[payload] = _sample(extra, payload, components)
        return value
    return payload


def _state(engine: sa.Engine) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per table, and each tracked table's data version."""
    with engine.connect() as conn:
        counts = {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                  for t in metadata.sorted_tables}
        versions: dict[str, int] = dict(conn.exec_driver_sql(
            "SELECT table_name, version FROM data_versions").all())
    return counts, versions


def _calls(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, request options) for every payload in every parameter and body."""
    components = document.get("components", {}).get("schemas", {})
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (method, path) in SKIPPED or path.startswith("/api/live/") or \
                    path.startswith("/api/imports"):
                continue
            parameters = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            body = (operation.get("requestBody", {}).get("content", {})
                    .get("application/json", {}).get("schema"))
            for payload in PAYLOADS:
                plain = {p["name"]: "1" for p in parameters if p["in"] == "path"}
                for parameter in parameters:
                    where = dict(plain)
                    query = {}
                    if parameter["in"] == "path":
                        where[parameter["name"]] = payload
                    else:
                        query[parameter["name"]] = payload
                    options = {"params": query}
                    if body is not None:
                        options["json"] = _sample(body, "x", components)
                    yield method, _url(path, where), options
                if body is not None:
                    yield method, _url(path, plain), {"json": _sample(body, payload, components)}
    for payload in PAYLOADS:  # the items route's filters are any column, not in the document
        for query in ({payload: "1"}, {"species": payload}, {"bbox": payload},
                      {"limit": payload}, {"offset": payload}, {"id": payload}):
            yield "get", "/collections/trees/items", {"params": query}


def _url(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _ingest_calls(key: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    now = datetime.now(UTC).isoformat()
    for payload in PAYLOADS:
        segment = quote(payload, safe="")
        headers = bearer(key)
        yield "post", "/api/live/observations", {"headers": headers, "json": {"observations": [
            {"asset_id": payload, "property": payload, "value": 1.0, "time": now},
            {"asset_id": "SEN-000001", "property": "pressure", "value": payload, "time": now}]}}
        yield "post", f"/api/live/observations/{segment}", {"headers": headers,
                                                           "json": {"observations": []}}
        yield "post", f"/api/live/devices/{segment}/state", {"headers": headers,
                                                            "json": {"state": payload, "time": now}}
        yield "post", "/api/live/devices/LUM-000001/state", {
            "headers": headers, "json": {"state": "on", "time": payload}}
        yield "post", f"/api/live/cameras/{segment}/events", {"headers": headers,
                                                             "json": {"event": payload}}


def _check(answer: Any, what: str) -> None:
    assert answer.status_code < 500, f"{what} answered {answer.status_code}: {answer.text[:300]}"
    leaked = [marker for marker in LEAKS if marker in answer.text]
    assert not leaked, f"{what} leaked {leaked}: {answer.text[:300]}"
    assert "root:x:0:0" not in answer.text and "[project]" not in answer.text


@pytest.mark.slow
def test_hostile_strings_in_every_parameter_change_nothing_and_leak_nothing(demo_database_url):
    engine = create_engine(demo_database_url)
    key = make_device(demo_database_url, "injection-device")
    sent = 0
    with client_for(demo_database_url) as client:  # makes the admin whose token it carries
        before = _state(engine)
        document = client.get("/openapi.json").json()
        for method, url, options in [*_calls(document), *_ingest_calls(key)]:
            _check(client.request(method.upper(), url, **options), f"{method.upper()} {url[:120]}")
            sent += 1
        for url in TRAVERSALS:
            answer = client.get(url, headers={"accept": "text/html"})
            _check(answer, f"GET {url}")
            assert answer.status_code in (400, 404), (url, answer.status_code)
    after = _state(engine)
    engine.dispose()
    assert sent > 1000
    counts = {t: n for t, n in after[0].items() if t not in MAY_GROW}
    assert counts == {t: n for t, n in before[0].items() if t not in MAY_GROW}
    versions = {t: v for t, v in after[1].items() if t not in UNVERSIONED_WRITES}
    assert versions == {t: v for t, v in before[1].items() if t not in UNVERSIONED_WRITES}
