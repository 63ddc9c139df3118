"""Security headers on every answer: the browser app may load only what the server itself serves.

The Content Security Policy allows the app's own scripts, style sheets, fonts and data
(``'self'``) and what the map needs besides: MapLibre and deck.gl start their workers from
``blob:`` URLs and draw sprites and icons from ``data:`` and ``blob:`` images; the app and
MapLibre set ``style`` attributes (``style-src-attr 'unsafe-inline'``: attributes only, no
``<style>`` element, never scripts). No framing (``frame-ancestors 'none'``), no plugins, no
sniffing of content types, no referrer sent elsewhere.

FastAPI's own API pages (``/docs``, ``/redoc``) load Swagger UI and ReDoc from their CDN with an
inline script; they keep every header but the policy, which would leave them blank.

Over https (or with ``TWIN_COOKIE_SECURE``, behind a TLS proxy the server does not trust for
forwarded headers) the session cookie is marked ``Secure`` and answers carry HSTS.

Cross-site requests (:class:`SameOrigin`): a write signed in by the session cookie alone (no
``Authorization`` header) must come from the server's own pages: the browser says
``Sec-Fetch-Site: same-origin``, or its ``Origin`` is the server's; else 403. SameSite=Strict
already keeps the cookie from other sites; this also refuses a same-site sibling (another app of
the city's domain) posting a form. A request with neither header is no browser's (every current
browser sends one of them with a cross-origin write) and passes, as in Go's
``http.CrossOriginProtection``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.auth import COOKIE
from web.limits import send_json

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    "child-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
API_PAGES = ("/docs", "/redoc")
HSTS = (b"strict-transport-security", b"max-age=31536000")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` and the :data:`CSP` to every HTTP answer."""

    def __init__(self, app: ASGIApp, *, force_secure: bool = False) -> None:
        self.app = app
        self.force_secure = force_secure
        """Secure cookie and HSTS even over plain http (``TWIN_COOKIE_SECURE``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(API_PAGES)
        secure = self.force_secure or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [_secured(n, v) if secure else (n, v)
                           for n, v in message.get("headers", [])]
                present = {name.lower() for name, _ in headers}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                if with_policy and b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CSP.encode()))
                if secure and HSTS[0] not in present:
                    extra.append(HSTS)
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secured(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    """A ``Set-Cookie`` of the session with the ``Secure`` flag (looked for among the
    attributes: the session id is random text that may spell it)."""
    if name.lower() == b"set-cookie" and value.startswith(COOKIE.encode() + b"="):
        attributes = {part.split(b"=")[0].strip().lower() for part in value.split(b";")[1:]}
        if b"secure" not in attributes:
            value += b"; Secure"
    return name, value


class SameOrigin:
    """ASGI middleware: 403 for a write authenticated by the session cookie alone that does not
    come from the server's own origin (``Origin``, else ``Sec-Fetch-Site: same-origin``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE:
            reason = cross_site(scope)
            if reason is not None:
                await send_json(send, 403, reason)
                return
        await self.app(scope, receive, send)


def cross_site(scope: Scope) -> str | None:
    """Why a cookie-authenticated write is refused as cross-site; None when it is not one."""
    headers = Headers(scope=scope)
    if "authorization" in headers or COOKIE not in cookie_parser(headers.get("cookie", "")):
        return None  # a bearer credential, which no other site's page can send; or no session
    origin, site = headers.get("origin"), headers.get("sec-fetch-site")
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
    if site is not None:
        if site in ("same-origin", "none"):
            return None
    elif origin is None or origin == own:
        return None  # no browser's request, or the server's own page
    return (f"cross-site request refused: a write signed in by the session cookie must come from "
            f"this server's own pages (Origin {origin or 'not sent'}, Sec-Fetch-Site "
            f"{site or 'not sent'}; expected {own})")
