"""Security headers on every answer: the browser app may load only what the server itself serves.

The Content Security Policy allows the app's own scripts, style sheets, fonts and data
(``'self'``) and what the map needs besides: MapLibre and deck.gl start their workers from
``blob:`` URLs and draw sprites and icons from ``data:`` and ``blob:`` images; the app and
MapLibre set ``style`` attributes (``style-src-attr 'unsafe-inline'``: attributes only, no
``<style>`` element, never scripts). No framing (``frame-ancestors 'none'``), no plugins, no
sniffing of content types, no referrer sent elsewhere.

FastAPI's own API pages (``/docs``, ``/redoc``) load Swagger UI and ReDoc from their CDN with an
inline script; they keep every header but the policy, which would leave them blank.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` and the :data:`CSP` to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(API_PAGES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                if with_policy and b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
