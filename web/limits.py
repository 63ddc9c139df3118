"""Request size and rate limits: what one client may send, before any handler reads it.

Sizes: :class:`BodyLimits`, an ASGI middleware that counts a request's body while it streams in,
so an absent or false ``Content-Length`` cannot get past it, and refuses a declared length over
the cap before anything is read. Caps (:func:`body_caps`): the live ingest
``TWIN_MAX_INGEST_BYTES``, uploads ``TWIN_MAX_UPLOAD_BYTES`` (200 MB), every other body
``TWIN_MAX_BODY_BYTES`` (1 MB). Over the cap: 413, one line naming the cap. (FastAPI's own
``max_body_size`` counts the same way but answers in plain text, over the app's JSON answer, when
a declared length is too large.)

Rates: :class:`RateLimits`, an ASGI middleware over the ``limits`` library (moving windows kept in
the server process's memory, so each of ``--workers N`` counts on its own), keyed by the
credential a request carries (a SHA-256 of its ``Authorization`` header or session cookie, never
the secret itself), else by the client's address. Over the rate: 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin.config import Settings

SESSION_COOKIE = "twin_session"


@dataclass(frozen=True)
class BodyCaps:
    """The largest request body (bytes) of each kind of route."""

    default: int
    ingest: int
    upload: int


    def of(self, path: str) -> int:
        """The cap of requests to ``path``."""
        if path.startswith("/api/live/"):
            return self.ingest
        if path.startswith("/api/imports/"):
            return self.upload
        return self.default


def body_caps(settings: Settings) -> BodyCaps:
    return BodyCaps(settings.max_body_bytes, settings.max_ingest_bytes, settings.max_upload_bytes)


class BodyTooLarge(HTTPException):
    """A request body over its cap (raised while the handler reads it): 413."""

    def __init__(self, cap: int) -> None:
        super().__init__(413, f"the request body is over this route's limit of {cap:,} bytes")


class BodyLimits:
    """ASGI middleware: request bodies of at most ``caps.of(path)`` bytes reach the app."""

    def __init__(self, app: ASGIApp, caps: BodyCaps) -> None:
        self.app = app
        self.caps = caps

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.caps.of(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            error = (BodyTooLarge(cap) if declared.isdigit()
                     else HTTPException(400, f"Content-Length '{declared[:40]}' is not a number"))
            await _json(send, error.status_code, str(error.detail))
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        await self.app(scope, counted, send)


@dataclass(frozen=True)
class RateRule:
    """Requests of ``method`` to paths under ``prefix`` may come at ``rates`` per key."""

    name: str
    """What is limited, as in the setting's name (``TWIN_RATE_LIMIT_<NAME>``)."""
    method: str
    prefix: str
    rates: tuple[RateLimitItem, ...]
    by_credential: bool
    """Key by the credential the request carries when it has one, else by the client address."""

    def applies(self, method: str, path: str) -> bool:
        return method == self.method and (path == self.prefix or path.startswith(self.prefix + "/"))


def rate_rules(settings: Settings) -> tuple[RateRule, ...]:
    """The live ingest (per device credential), uploads (per user) and logins (per address)."""
    return (
        RateRule("ingest", "POST", "/api/live", tuple(parse_many(settings.rate_limit_ingest)),
                 by_credential=True),
        RateRule("upload", "POST", "/api/imports", tuple(parse_many(settings.rate_limit_upload)),
                 by_credential=True),
        RateRule("login", "POST", "/api/auth/login", tuple(parse_many(settings.rate_limit_login)),
                 by_credential=False),
    )


def client_key(scope: Scope, by_credential: bool) -> str:
    """Whom a request counts against: its credential's digest, else its client address."""
    if by_credential:
        headers = Headers(scope=scope)
        credential = headers.get("authorization") or _session(headers.get("cookie"))
        if credential:
            return "credential:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


def _session(cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    try:
        morsel = SimpleCookie(cookie_header).get(SESSION_COOKIE)
    except CookieError:
        return None
    return morsel.value if morsel is not None and morsel.value else None


class RateLimits:
    """ASGI middleware: a request over its rule's rate is answered 429 with ``Retry-After`` (s)
    and never reaches the app."""

    def __init__(self, app: ASGIApp, rules: tuple[RateRule, ...]) -> None:
        self.app = app
        self.rules = rules
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            rule = next((r for r in self.rules if r.applies(scope["method"], scope["path"])), None)
            if rule is not None:
                refusal = await self._refusal(rule, client_key(scope, rule.by_credential))
                if refusal is not None:
                    await refusal(send)
                    return
        await self.app(scope, receive, send)

    async def _refusal(self, rule: RateRule, key: str) -> _TooMany | None:
        for rate in rule.rates:
            if not await self.limiter.hit(rate, rule.name, key):
                stats = await self.limiter.get_window_stats(rate, rule.name, key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                return _TooMany(f"too many {rule.name} requests: at most {rate} (setting "
                                f"TWIN_RATE_LIMIT_{rule.name.upper()}); try again in {wait} s",
                                wait)
        return None


@dataclass(frozen=True)
class _TooMany:
    detail: str
    retry_after: int

    async def __call__(self, send: Send) -> None:
        await _json(send, 429, self.detail, [(b"retry-after", str(self.retry_after).encode())])


async def _json(send: Send, status: int, detail: str,
                headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer ``{"detail": detail}`` before the app has seen the request."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
