"""Signing in and out of the browser app: ``POST /api/auth/login`` sets the ``twin_session`` cookie
(HttpOnly, SameSite=Strict, Secure over https, ``SESSION_HOURS`` long), ``POST /api/auth/logout``
ends it, ``GET /api/auth/me`` says who the request is.

A failed login answers one message whatever failed (unknown name, wrong password, disabled user),
so answers do not tell which names exist, and is logged (logger ``web.routes.auth``, WARNING: the
name as a quoted literal, so it cannot forge a line, and the address; never the password).
After ``FREE_FAILURES`` failures in a row for a name from one address, or from one address
whatever the names, each further attempt from there waits twice as long as the one before (2 s,
4 s, ... 5 min), answered 429 with ``Retry-After`` meanwhile. Failures for a name from
everywhere only slow its sign-ins down (by at most ``NAME_DELAY_S``): a stranger cannot lock a
user out. IPv6 addresses count by their /64.

argon2 (64 MiB, ~50 ms) runs with no database connection held and at most ``VERIFY_AT_ONCE`` at
a time, so a burst of sign-ins can neither take the pool nor the memory.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from twin.auth import (
    SESSION_HOURS,
    Principal,
    create_session,
    end_session,
    secret_hash,
    signed_in,
    stored_password,
    verify_password,
)
from web.auth import COOKIE, OptionalPrincipal, Unauthenticated, auth_cache, client_address
from web.deps import EngineDep

router = APIRouter(prefix="/api/auth", tags=["Sign in"])
FREE_FAILURES = 5
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 900.0
"""A name or address with no failure for this long starts afresh."""
NAME_DELAY_S = 1.0
"""The most a sign-in waits because its name failed elsewhere."""
VERIFY_AT_ONCE = 4
_verifying = threading.BoundedSemaphore(VERIFY_AT_ONCE)
"""Password checks running at once in this process (each takes 64 MiB)."""
log = logging.getLogger(__name__)


class Login(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0

    def wait_s(self, now: float) -> float:
        """Seconds still to wait before another attempt is heard."""
        if self.count < FREE_FAILURES:
            return 0.0
        wait = min(MAX_WAIT_S, 2.0 ** (self.count - FREE_FAILURES + 1))
        return max(0.0, self.last + wait - now)


class LoginBackoff:
    """Failures per name and per client address, in this server process."""

    def __init__(self) -> None:
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def wait_s(self, keys: tuple[str, ...]) -> float:
        now = time.monotonic()
        with self._lock:
            self._drop_old(now)
            return max(self._failures.get(k, _Failures()).wait_s(now) for k in keys)

    def failed(self, keys: tuple[str, ...]) -> int:
        """Count a failure under each key; returns the first key's count."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                entry = self._failures.setdefault(key, _Failures())
                entry.count += 1
                entry.last = now
            return self._failures[keys[0]].count

    def succeeded(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _drop_old(self, now: float) -> None:
        if len(self._failures) > 10_000:
            self._failures = {k: f for k, f in self._failures.items()
                              if now - f.last < FORGET_AFTER_S}
        for key in [k for k, f in self._failures.items() if now - f.last >= FORGET_AFTER_S][:100]:
            del self._failures[key]


def _backoff(request: Request) -> LoginBackoff:
    state = request.app.state
    if getattr(state, "login_backoff", None) is None:
        state.login_backoff = LoginBackoff()
    return state.login_backoff  # type: ignore[no-any-return]


def _keys(request: Request, name: str) -> tuple[tuple[str, ...], str]:
    """(the keys that refuse: name from this address, this address), the key that slows."""
    address = client_address(request.scope)
    name = name.lower()
    return (f"pair:{name}|{address}", f"address:{address}"), f"name:{name}"


def verified(engine: Engine, name: str, password: str) -> str | None:
    """The stored hash of ``name`` if ``password`` matches it, else None; argon2 runs with no
    connection held and at most ``VERIFY_AT_ONCE`` at a time."""
    with engine.connect() as conn:
        stored = stored_password(conn, name)
    with _verifying:
        return stored if verify_password(stored, password) else None


def checked_password(request: Request, engine: Engine, name: str, password: str) -> str | None:
    """``verified`` behind the back-off: 429 while this name or address must wait; a failure
    is counted and logged. Returns the stored hash, or None for a wrong password."""
    refusing, slowing = _keys(request, name)
    backoff = _backoff(request)
    wait = backoff.wait_s(refusing)
    if wait > 0:
        log.warning("sign-in for %r from %s refused: %d s to wait after failures", name,
                    client_address(request.scope), math.ceil(wait))
        raise HTTPException(429, "too many failed sign-ins: wait and try again",
                            headers={"Retry-After": str(math.ceil(wait))})
    delay = backoff.wait_s((slowing,))
    if delay > 0:
        time.sleep(min(NAME_DELAY_S, delay))
    stored = verified(engine, name, password)
    if stored is None:
        count = backoff.failed((*refusing, slowing))
        log.warning("failed sign-in for %r from %s (%d in a row from there)", name,
                    client_address(request.scope), count)
    return stored


def describe(principal: Principal) -> dict[str, Any]:
    """What the browser app needs to know of who is signed in."""
    return {"name": principal.name, "role": principal.role, "kind": principal.kind,
            "networks": list(principal.networks),
            "permissions": sorted(p.value for p in principal.permissions)}


@router.post("/login", summary="Sign in: sets the session cookie (12 h)")
def login(body: Login, request: Request, response: Response, engine: EngineDep) -> dict[str, Any]:
    stored = checked_password(request, engine, body.name, body.password)
    with engine.begin() as conn:
        principal = None if stored is None else signed_in(conn, body.name, stored, body.password)
        if principal is None:
            if stored is not None:  # the right password of a disabled (or just changed) user
                log.warning("failed sign-in for %r from %s: disabled", body.name,
                            client_address(request.scope))
            raise Unauthenticated("wrong name or password")
        secret, _ = create_session(conn, principal)
    refusing, slowing = _keys(request, body.name)
    _backoff(request).succeeded((refusing[0], slowing))
    response.set_cookie(COOKIE, secret, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return describe(Principal(principal.name, principal.role, "session", principal.networks))


@router.post("/logout", summary="Sign out: ends the session and clears its cookie")
def logout(request: Request, response: Response, engine: EngineDep) -> dict[str, Any]:
    secret = request.cookies.get(COOKIE)
    if secret:
        with engine.begin() as conn:
            end_session(conn, secret)
        auth_cache(request).forget(secret_hash(secret))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return {"signed_out": True}


@router.get("/me", summary="Who the request is (401 when not signed in)")
async def me(principal: OptionalPrincipal) -> dict[str, Any]:
    if principal is None:
        raise Unauthenticated("not signed in")
    return describe(principal)
