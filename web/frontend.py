"""The browser app: ``./run setup`` builds it with npm into ``web/app/dist/``; the server serves it at
``/`` for browsers (JSON clients get the OGC API landing page there)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

DIST = Path(__file__).parent / "app" / "dist"

_MISSING = """<!doctype html><html lang="en"><meta charset="utf-8"><title>Urban Twin</title>
<body style="font-family: sans-serif; max-width: 44em; margin: 3em auto">
<h1>Urban Twin</h1>
<p>The browser app is not built: <code>{dist}</code> has no <code>index.html</code>.
Build it with <code>cd web/app &amp;&amp; npm ci &amp;&amp; npm run build</code>, then restart
<code>twin serve</code>.</p>
<p>The APIs work without it: <a href="/docs">API documentation</a>,
<a href="/collections">OGC API collections</a>, <a href="/?f=json">landing page (JSON)</a>.</p>
</body></html>"""


def wants_html(request: Request) -> bool:
    """A browser asking for a page (``Accept: text/html``) rather than a client asking for JSON."""
    if request.query_params.get("f") in ("json", "geojson"):
        return False
    return "text/html" in request.headers.get("accept", "")


def index_page(dist: Path = DIST) -> Response:
    """The app's ``index.html``, or a page that says how to build it."""
    index = dist / "index.html"
    if index.is_file():
        return FileResponse(index, media_type="text/html")
    return HTMLResponse(_MISSING.format(dist=dist))
