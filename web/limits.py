"""Request size and rate limits: what one client may send, before any handler reads it.

Sizes: :class:`BodyLimits`, an ASGI middleware that counts a request's body while it streams in,
so an absent or false ``Content-Length`` cannot get past it, and refuses a declared length over
the cap before anything is read. Caps (:func:`body_caps`): the live ingest
``TWIN_MAX_INGEST_BYTES``, uploads ``TWIN_MAX_UPLOAD_BYTES`` (200 MB), every other body
``TWIN_MAX_BODY_BYTES`` (1 MB). Over the cap: 413, one line naming the cap. (FastAPI's own
``max_body_size`` counts the same way but answers in plain text, over the app's JSON answer, when
a declared length is too large.)

Credentials first: :class:`CredentialCheck` resolves the credential of an upload, a live ingest
post or a simulation (``web.auth``'s resolver and cache) and answers 401/403 before a byte of the
body is read, so nobody without the permission can make the server read and spool 200 MB.

Rates: :class:`RateLimits`, an ASGI middleware over the ``limits`` library (moving windows kept in
the server process's memory, so each of ``--workers N`` counts on its own), keyed by the
device or user :class:`CredentialCheck` resolved, else by the client's address (IPv6: its /64); a
made-up credential is refused before it counts. Over the rate: 429 with ``Retry-After``.
Simulations also run at most :data:`SIMULATE_AT_ONCE` at a time per process (others wait).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin.auth import Permission
from twin.config import Settings
from web.auth import authorized, client_address, current_principal

PRINCIPAL = "twin.principal"
"""The scope key of the principal :class:`CredentialCheck` resolved."""
CHECKED = (("POST", "/api/imports", Permission.IMPORT), ("POST", "/api/live", Permission.INGEST),
           (None, "/api/simulate", Permission.SIMULATE))
"""(method or any, path prefix, permission) of the routes whose credentials are checked before
their body is read."""
SIMULATE_AT_ONCE = 2
"""Simulations running at once per server process (each takes a core for up to seconds)."""


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
        number = declared is not None and declared.isascii() and declared.isdigit()  # not '²'
        if declared is not None and (not number or int(declared) > cap):
            error = (BodyTooLarge(cap) if number
                     else HTTPException(400, f"Content-Length '{declared[:40]}' is not a number"))
            await send_json(send, error.status_code, str(error.detail))
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
        return method == self.method and _prefixed(path, self.prefix)


def rate_rules(settings: Settings) -> tuple[RateRule, ...]:
    """The live ingest (per device credential), uploads and simulations (per user) and logins
    (per address)."""
    return (
        RateRule("ingest", "POST", "/api/live", tuple(parse_many(settings.rate_limit_ingest)),
                 by_credential=True),
        RateRule("upload", "POST", "/api/imports", tuple(parse_many(settings.rate_limit_upload)),
                 by_credential=True),
        RateRule("simulate", "POST", "/api/simulate",
                 tuple(parse_many(settings.rate_limit_simulate)), by_credential=True),
        RateRule("simulate", "GET", "/api/simulate",
                 tuple(parse_many(settings.rate_limit_simulate)), by_credential=True),
        RateRule("login", "POST", "/api/auth/login", tuple(parse_many(settings.rate_limit_login)),
                 by_credential=False),
    )


def client_key(scope: Scope, by_credential: bool) -> str:
    """Whom a request counts against: the device or user :class:`CredentialCheck` resolved (a
    user's sessions and tokens all count as the user), else its client address (never a
    credential nobody checked: a made-up one would be a fresh count)."""
    principal = scope.get(PRINCIPAL)
    if by_credential and principal is not None and principal.kind != "anonymous":
        return f"{'device' if principal.kind == 'device' else 'user'}:{principal.name}"
    return "address:" + client_address(scope)


def _prefixed(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class CredentialCheck:
    """ASGI middleware: an upload, a live ingest post or a simulation whose credentials are
    missing, unknown or lack the permission is answered 401/403 before its body is read; the
    principal is left in the scope for :class:`RateLimits`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            needed = next((permission for method, prefix, permission in CHECKED
                           if method in (None, scope["method"])
                           and _prefixed(scope["path"], prefix)), None)
            if needed is not None:
                try:
                    scope[PRINCIPAL] = authorized(await current_principal(Request(scope)),
                                                  needed)
                except HTTPException as refusal:
                    await send_json(send, refusal.status_code, str(refusal.detail),
                                    [(k.lower().encode(), v.encode())
                                     for k, v in (refusal.headers or {}).items()])
                    return
        await self.app(scope, receive, send)


class Concurrency:
    """ASGI middleware: at most ``at_once`` requests under ``prefix`` run at a time; the others
    wait their turn (their number is bounded by the rate rules)."""

    def __init__(self, app: ASGIApp, prefix: str, at_once: int) -> None:
        self.app = app
        self.prefix = prefix
        self.slots = asyncio.Semaphore(at_once)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _prefixed(scope["path"], self.prefix):
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


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
        await send_json(send, 429, self.detail,
                        [(b"retry-after", str(self.retry_after).encode())])


async def send_json(send: Send, status: int, detail: str,
                    headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer ``{"detail": detail}`` before the app has seen the request (the middlewares'
    refusals, in the app's own JSON shape)."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})
