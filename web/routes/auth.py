"""Signing in and out of the browser app: ``POST /api/auth/login`` sets the ``twin_session`` cookie
(HttpOnly, SameSite=Strict, Secure over https, ``SESSION_HOURS`` long), ``POST /api/auth/logout``
ends it, ``GET /api/auth/me`` says who the request is.

A failed login answers one message whatever failed (unknown name, wrong password, disabled user),
so answers do not tell which names exist. After ``FREE_FAILURES`` failures in a row for a name or
from an address, each further attempt waits twice as long as the one before (2 s, 4 s, ... 5 min),
answered 429 with ``Retry-After`` meanwhile; a success clears the name's and address's count.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from twin.auth import SESSION_HOURS, Principal, check_login, create_session, end_session, secret_hash
from web.auth import COOKIE, OptionalPrincipal, Unauthenticated, auth_cache
from web.deps import EngineDep

router = APIRouter(prefix="/api/auth", tags=["Sign in"])
FREE_FAILURES = 5
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 900.0
"""A name or address with no failure for this long starts afresh."""


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

    def failed(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                entry = self._failures.setdefault(key, _Failures())
                entry.count += 1
                entry.last = now

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


def describe(principal: Principal) -> dict[str, Any]:
    """What the browser app needs to know of who is signed in."""
    return {"name": principal.name, "role": principal.role, "kind": principal.kind,
            "networks": list(principal.networks),
            "permissions": sorted(p.value for p in principal.permissions)}


@router.post("/login", summary="Sign in: sets the session cookie (12 h)")
def login(body: Login, request: Request, response: Response, engine: EngineDep) -> dict[str, Any]:
    address = request.client.host if request.client else "unknown"
    keys = (f"name:{body.name.lower()}", f"address:{address}")
    backoff = _backoff(request)
    wait = backoff.wait_s(keys)
    if wait > 0:
        raise HTTPException(429, "too many failed sign-ins: wait and try again",
                            headers={"Retry-After": str(math.ceil(wait))})
    with engine.begin() as conn:
        principal = check_login(conn, body.name, body.password)
        if principal is None:
            backoff.failed(keys)
            raise Unauthenticated("wrong name or password")
        secret, _ = create_session(conn, principal)
    backoff.succeeded(keys)
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
