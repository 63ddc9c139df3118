"""Who a request is, and whether it may: ``requires(Permission.X)`` on every route.

Credentials: ``Authorization: Bearer <secret>`` (an API token, or a device key on the live ingest)
or the browser's ``twin_session`` cookie (``web.routes.auth``). None or an unknown, expired or
revoked one: 401 with ``WWW-Authenticate: Bearer``; known but not allowed: 403. Without
credentials a request acts as ``TWIN_ANONYMOUS_ROLE`` (none: 401 everywhere but login, the
browser app and the API docs; viewer: reads are public).

Tiles are the hot path (~1,000 requests/s from one map): the principal behind a secret is kept in
memory for ``CACHE_S`` seconds, keyed by the secret's SHA-256, so a request with a known secret
costs a dictionary read and no database round-trip or thread (the check is ``async``). A revoked
token, a logout or a change to a user is forgotten at once by the process that made it, and by
every other server process (``twin serve --workers N``, and after a CLI change) when the change
commits: ``twin.auth`` NOTIFYs ``twin_auth`` and ``CredentialWatch`` listens. While that
connection is lost, what is cached is trusted for at most ``CACHE_S`` seconds (and everything is
forgotten when it is back).

Unknown secrets are remembered apart (``UNKNOWN_ENTRIES``, 5 s), so a flood of made-up secrets
cannot push the real principals out; and each client address may make ``FAILED_LOOKUPS``
database lookups that find nothing (429 beyond, before the database is asked).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine
from starlette.types import Scope

from twin.auth import CHANNEL, Permission, Principal, principal_for_secret, secret_hash
from web.listen import listen

__all__ = ["COOKIE", "AuthCache", "Permission", "Principal", "requires", "current_principal",
           "OptionalPrincipal", "Unauthenticated"]

log = logging.getLogger(__name__)
COOKIE = "twin_session"
CACHE_S = 30.0
"""How long a server process trusts what it looked up about a secret (s)."""
UNKNOWN_CACHE_S = 5.0
"""... and that a secret is unknown: a misconfigured client retrying costs no lookups."""
CACHE_ENTRIES = 10_000
UNKNOWN_ENTRIES = 10_000
"""Unknown secrets remembered, apart from the principals: they never evict one."""
FAILED_LOOKUPS = parse("60/minute")
"""Secrets found unknown per client address (IPv6: per /64): made-up ones. A secret counts once
while it is remembered as unknown, however many requests carry it (a map's tiles after sign-out)."""
ANONYMOUS = Principal("anonymous", "viewer", "anonymous")


class AuthCache:
    """Secret hash → principal (None: unknown) until a monotonic deadline; least recently used
    dropped beyond ``CACHE_ENTRIES``. Used from the event loop and the thread pool (sync routes
    forget what they revoke): ``put`` and ``forget`` hold a lock, so a forget never lands between
    a put's check of ``generation`` and its write; ``get`` reads one entry, atomic under the GIL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Principal | None, float]] = OrderedDict()
        self._unknown: OrderedDict[str, float] = OrderedDict()
        self.failures = MovingWindowRateLimiter(MemoryStorage())
        """Lookups that found nothing, per client address (``FAILED_LOOKUPS``)."""
        self.generation = 0
        """Counts forgets: a lookup that began before one may have read what was just revoked,
        so its answer is not kept (``put(..., since=)``)."""
        self.looking: dict[tuple[str, int], asyncio.Future[Principal | None]] = {}
        """Lookups under way, by secret hash and ``generation`` (a request after a forget never
        shares an earlier lookup): requests that miss together share one, so a map's 8-12 tile
        requests missing at once (a new token, or its entry run out) make one round trip and at
        most one write of the token's ``last_used_at``."""

    def get(self, digest: str) -> tuple[bool, Principal | None]:
        """(found, principal); an entry past its deadline is not found."""
        entry = self._entries.get(digest)
        if entry is not None and entry[1] >= time.monotonic():
            return True, entry[0]
        unknown_until = self._unknown.get(digest)
        return unknown_until is not None and unknown_until >= time.monotonic(), None

    def put(self, digest: str, principal: Principal | None, *, since: int | None = None) -> bool:
        """Keep what a lookup found, unless something was forgotten since it began (``since``:
        the ``generation`` read before the lookup). True when an unknown secret was not known
        to be unknown already (concurrent lookups of one secret count once)."""
        with self._lock:
            current = since is None or since == self.generation
            if principal is None:
                before = self._unknown.get(digest)
                fresh = before is None or before < time.monotonic()
                if current:
                    _keep(self._unknown, digest, time.monotonic() + UNKNOWN_CACHE_S,
                          UNKNOWN_ENTRIES)
                return fresh
            if current:
                deadline = time.monotonic() + CACHE_S
                if principal.expires_at is not None:
                    left = principal.expires_at.timestamp() - time.time()
                    deadline = min(deadline, time.monotonic() + left)
                _keep(self._entries, digest, (principal, deadline), CACHE_ENTRIES)
            return False

    def forget(self, digest: str | None = None) -> None:
        """Forget one secret (by hash), or everything (a user disabled, a role changed)."""
        with self._lock:
            self.generation += 1
            if digest is None:
                self._entries.clear()
                self._unknown.clear()
            else:
                self._entries.pop(digest, None)
                self._unknown.pop(digest, None)


def _keep(entries: OrderedDict[str, Any], digest: str, value: Any, most: int) -> None:
    """``entries[digest] = value`` as the most recent, the least recent dropped beyond ``most``."""
    entries[digest] = value
    entries.move_to_end(digest)
    while len(entries) > most:
        entries.popitem(last=False)


class CredentialWatch:
    """Listens on ``twin_auth`` and makes ``cache`` forget what was revoked, in any process."""

    def __init__(self, cache: AuthCache, conninfo: str) -> None:
        self.cache = cache
        self._conninfo = conninfo
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(listen(self._conninfo, CHANNEL, self._heard,
                                                self._listening))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _heard(self, payload: str) -> None:
        self.cache.forget(payload or None)

    def _listening(self, listening: bool) -> None:
        self.cache.forget()  # (re)connected or lost: what was said meanwhile is unknown


class Unauthenticated(HTTPException):
    """401: no usable credentials."""

    def __init__(self, detail: str = "sign in or send an API token "
                                     "(Authorization: Bearer ...)") -> None:
        super().__init__(401, detail, headers={"WWW-Authenticate": "Bearer"})


def auth_cache(request: Request) -> AuthCache:
    state = request.app.state
    if getattr(state, "auth_cache", None) is None:
        state.auth_cache = AuthCache()
    return state.auth_cache  # type: ignore[no-any-return]


def presented_secret(request: Request) -> str | None:
    """The bearer token, else the session cookie, else None. A malformed Authorization header
    counts as a wrong credential (empty text), not as none."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""
    return request.cookies.get(COOKIE)


def _lookup(engine: Engine, secret: str) -> Principal | None:
    with engine.begin() as conn:
        return principal_for_secret(conn, secret)


def client_address(scope: Scope) -> str:
    """The client's address as limits and the sign-in back-off count it: IPv6 by its /64 (one
    host's share), an IPv4 client of a dual-stack socket (``::ffff:a.b.c.d``) by its IPv4
    address."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class TooManyUnknown(HTTPException):
    """429: this address sent too many secrets that name nobody."""

    def __init__(self, wait: int) -> None:
        super().__init__(429, f"too many unknown credentials from this address: at most "
                              f"{FAILED_LOOKUPS}; try again in {wait} s",
                         headers={"Retry-After": str(wait)})


async def resolve(request: Request, secret: str) -> Principal | None:
    """The principal behind ``secret``: from the cache, else from the database (in a thread),
    unless the client's address has had too many lookups find nothing (429)."""
    if not secret or len(secret) > 200:
        return None
    cache = auth_cache(request)
    digest = secret_hash(secret)
    found, principal = cache.get(digest)
    if not found:
        address = client_address(request.scope)
        if not cache.failures.test(FAILED_LOOKUPS, "unknown", address):
            stats = cache.failures.get_window_stats(FAILED_LOOKUPS, "unknown", address)
            raise TooManyUnknown(max(1, math.ceil(stats.reset_time - time.time())))
        key = (digest, cache.generation)
        looking = cache.looking.get(key)
        if looking is None:
            looking = asyncio.ensure_future(_looked_up(request, cache, secret, digest, address))
            cache.looking[key] = looking
            looking.add_done_callback(lambda _: cache.looking.pop(key, None))
        # shielded: a request that goes away does not stop the lookup others wait for
        principal = await asyncio.shield(looking)
    return principal


async def _looked_up(request: Request, cache: AuthCache, secret: str, digest: str,
                     address: str) -> Principal | None:
    generation = cache.generation
    principal = await run_in_threadpool(_lookup, request.app.state.engine, secret)
    if cache.put(digest, principal, since=generation):  # a secret newly found unknown
        cache.failures.hit(FAILED_LOOKUPS, "unknown", address)
    return principal


def _anonymous_role(request: Request) -> str:
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "anonymous_role", "none")


async def current_principal(request: Request) -> Principal | None:
    """Who the request is: None without credentials (and no anonymous role); 401 for
    credentials that name nobody."""
    secret = presented_secret(request)
    if secret is None:
        return ANONYMOUS if _anonymous_role(request) == "viewer" else None
    principal = await resolve(request, secret)
    if principal is None:
        raise Unauthenticated("the credentials are unknown, expired or revoked: sign in again")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(current_principal)]


def requires(permission: Permission) -> Any:
    """A dependency that answers 401 or 403 unless the request may ``permission``; its value is
    the ``Principal``. Use ``principal: Annotated[Principal, requires(P.X)]`` or
    ``dependencies=[requires(P.X)]``."""

    async def check(principal: OptionalPrincipal) -> Principal:
        return authorized(principal, permission)

    check.__name__ = f"requires_{permission.value}"
    return Depends(check)


def authorized(principal: Principal | None, permission: Permission) -> Principal:
    """``principal`` if it may ``permission``; else 401 (nobody, or the anonymous public) or
    403 (known, not allowed)."""
    if principal is None:
        raise Unauthenticated()
    if not principal.can(permission):
        if principal.kind == "anonymous":
            raise Unauthenticated(f"sign in: this needs the '{permission}' permission")
        log.info("refused: '%s' (%s) may not %s", principal.name, principal.role,
                 permission.value)
        raise HTTPException(403, f"'{principal.name}' ({principal.role}) may not "
                                 f"{permission.value.replace('_', ' ')}")
    return principal
