"""Administration under ``/api/admin``: users (USERS), API tokens (everyone their own; USERS any
user's), device credentials (USERS) and the audit log (AUDIT).

Secrets (generated passwords, tokens, device keys) are in the answer that makes them, once. Each
write is audited by ``twin.auth`` or ``twin.devices`` in its own transaction, and every server
process forgets what it had cached about the credentials changed when it commits
(``web.auth.CredentialWatch``); this one at once. A user, token or device the path names that
does not exist: 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from twin import auth, devices
from twin.audit import MAX_LIMIT, query_audit
from twin.auth import Permission, Principal
from web.auth import Unauthenticated, auth_cache, requires
from web.collections import NotFound
from web.deps import ConnectionDep, EngineDep
from web.routes.auth import checked_password

router = APIRouter(prefix="/api/admin", tags=["Administration"])
Admin = Annotated[Principal, requires(Permission.USERS)]
Auditor = Annotated[Principal, requires(Permission.AUDIT)]
Reader = Annotated[Principal, requires(Permission.READ)]


async def _signed_in(principal: Reader) -> Principal:
    """A reader that is someone: the anonymous public (``TWIN_ANONYMOUS_ROLE=viewer``) has no
    tokens (401, before the request's body is looked at)."""
    if principal.kind == "anonymous":
        raise Unauthenticated("sign in to manage API tokens")
    return principal


SignedIn = Annotated[Principal, Depends(_signed_in)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON: times as ISO text, missing times as null."""
    return [{k: (v.isoformat() if isinstance(v, datetime)
                 else None if v is pd.NaT or (isinstance(v, float) and pd.isna(v)) else v)
             for k, v in row.items()} for row in frame.astype(object).to_dict(orient="records")]


@contextmanager
def _named() -> Iterator[None]:
    """The user, token or device a request names must exist: 404 otherwise."""
    try:
        yield
    except auth.UnknownName as exc:
        raise NotFound(str(exc)) from None


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(description="viewer, engineer, operator or admin")
    networks: list[str] = Field(default_factory=list, max_length=5,
                                description="an engineer's networks: power, water, drainage, "
                                            "telecom, road")
    password: str | None = Field(default=None, min_length=10, max_length=1024,
                                 description="default: generated, in the answer once")


class Role(BaseModel):
    role: str


class Networks(BaseModel):
    networks: list[str] = Field(max_length=5)


class Password(BaseModel):
    password: str | None = Field(default=None, min_length=10, max_length=1024,
                                 description="default: generated, in the answer once")
    keep_tokens: bool = Field(default=False, description="keep the user's API tokens (default: "
                                                         "revoked with the old password)")


class NewToken(BaseModel):
    label: str = Field(min_length=1, max_length=200, description="what the token is for")
    user: str | None = Field(default=None, description="whose (default: yours; others' need "
                                                      "the users permission)")
    expires_at: datetime | None = Field(default=None, description="default and latest: "
                                        "TWIN_TOKEN_MAX_DAYS (90) days from now")
    password: str | None = Field(default=None, max_length=1024,
                                 description="your password: needed when signed in by a browser "
                                             "session, so a stolen cookie cannot make a lasting "
                                             "token")


class NewDevice(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="also its MQTT user name")
    topics: list[str] = Field(min_length=1, max_length=100,
                              description="MQTT topics it may publish, e.g. "
                                          "twin/devices/LUM-000001/state, twin/observations/gw-1")


# -- users ----------------------------------------------------------------------------------------
@router.get("/users", summary="Every user (no password hashes)")
def list_users(conn: ConnectionDep, _: Admin) -> dict[str, Any]:
    return {"users": _records(auth.list_users(conn))}


@router.post("/users", status_code=201, summary="Add a user; a generated password is in the "
                                                 "answer, once")
def create_user(body: NewUser, engine: EngineDep, admin: Admin) -> dict[str, Any]:
    with engine.begin() as conn:
        password = auth.create_user(conn, body.name, body.role, password=body.password,
                                    networks=body.networks, actor=admin.name)
    answer: dict[str, Any] = {"name": body.name, "role": body.role, "networks": body.networks}
    if body.password is None:
        answer["password"] = password
    return answer


def _change_user(request: Request, engine: EngineDep, change: Callable[..., Any], name: str,
                 *args: Any, **options: Any) -> Any:
    """``change(conn, name, *args, **options)`` in its own transaction; what it returns."""
    with _named(), engine.begin() as conn:
        result = change(conn, name, *args, **options)
    auth_cache(request).forget()  # the user's cached principals are stale
    return result


@router.put("/users/{name}/role", summary="Change a user's role")
def set_role(name: str, body: Role, request: Request, engine: EngineDep, admin: Admin
             ) -> dict[str, Any]:
    _change_user(request, engine, auth.set_role, name, body.role, actor=admin.name)
    return {"name": name, "role": body.role}


@router.put("/users/{name}/networks", summary="Change the networks an engineer may edit")
def set_networks(name: str, body: Networks, request: Request, engine: EngineDep, admin: Admin
                 ) -> dict[str, Any]:
    _change_user(request, engine, auth.set_networks, name, body.networks, actor=admin.name)
    return {"name": name, "networks": body.networks}


@router.post("/users/{name}/disable", summary="Disable a user: no sign-in, tokens stop working")
def disable_user(name: str, request: Request, engine: EngineDep, admin: Admin) -> dict[str, Any]:
    if name == admin.name:
        raise HTTPException(409, "an admin cannot disable themselves")
    _change_user(request, engine, auth.disable_user, name, actor=admin.name)
    return {"name": name, "disabled": True}


@router.post("/users/{name}/enable", summary="Enable a disabled user again")
def enable_user(name: str, request: Request, engine: EngineDep, admin: Admin) -> dict[str, Any]:
    _change_user(request, engine, auth.enable_user, name, actor=admin.name)
    return {"name": name, "disabled": False}


@router.post("/users/{name}/password", summary="Reset a user's password (generated unless "
                                               "given); ends their sessions and API tokens")
def reset_password(name: str, body: Password, request: Request, engine: EngineDep, admin: Admin
                   ) -> dict[str, Any]:
    password = _change_user(request, engine, auth.set_password, name, body.password,
                            keep_tokens=body.keep_tokens, actor=admin.name)
    return {"name": name, **({"password": password} if body.password is None else {})}


# -- tokens ---------------------------------------------------------------------------------------
def _whose(principal: Principal, user: str | None) -> str:
    """Whose tokens a request may see or change: its own, or any user's with USERS."""
    if user is None or user == principal.name:
        return principal.name
    if not principal.can(Permission.USERS):
        raise HTTPException(403, f"'{principal.name}' may manage only their own tokens")
    return user


@router.get("/tokens", summary="API tokens: yours, or a user's / everyone's (users permission)")
def list_tokens(conn: ConnectionDep, principal: SignedIn,
                user: Annotated[str | None, Query(max_length=64)] = None,
                every: Annotated[bool, Query(description="every user's (users permission)")]
                = False) -> dict[str, Any]:
    own = _whose(principal, user)
    if every:
        if not principal.can(Permission.USERS):
            raise HTTPException(403, f"'{principal.name}' may list only their own tokens")
        return {"tokens": _records(auth.list_tokens(conn))}
    return {"tokens": _records(auth.list_tokens(conn, own))}


@router.post("/tokens", status_code=201, summary="A new API token; the secret is in the answer, "
                                                  "once")
def create_token(body: NewToken, request: Request, engine: EngineDep, principal: SignedIn
                 ) -> dict[str, Any]:
    owner = _whose(principal, body.user)
    if principal.kind == "session":  # a browser: the cookie alone does not make a token
        if not body.password:
            raise HTTPException(403, "confirm your password to make an API token")
        if checked_password(request, engine, principal.name, body.password) is None:
            raise HTTPException(403, "wrong password: no token made")
    settings = getattr(request.app.state, "settings", None)
    max_days = getattr(settings, "token_max_days", auth.TOKEN_MAX_DAYS)
    not_after = principal.expires_at if principal.kind == "token" else None
    expires_at = auth.token_expiry(body.expires_at, max_days=max_days, not_after=not_after)
    with _named(), engine.begin() as conn:
        secret = auth.create_token(conn, owner, body.label, expires_at=expires_at,
                                   max_days=max_days, actor=principal.name)
    return {"user": owner, "label": body.label, "token": secret,
            "expires_at": expires_at.isoformat()}


@router.delete("/tokens/{token_id}", summary="Revoke an API token (yours; any with the users "
                                             "permission)")
def revoke_token(token_id: int, request: Request, engine: EngineDep, principal: SignedIn
                 ) -> dict[str, Any]:
    owner = None if principal.can(Permission.USERS) else _whose(principal, None)
    with _named(), engine.begin() as conn:
        digest = auth.revoke_token(conn, token_id, user_name=owner, actor=principal.name)
    auth_cache(request).forget(digest)
    return {"id": token_id, "revoked": True}


# -- devices --------------------------------------------------------------------------------------
@router.get("/devices", summary="Device and gateway credentials (no keys)")
def list_devices(conn: ConnectionDep, _: Admin) -> dict[str, Any]:
    return {"devices": _records(devices.list_devices(conn))}


@router.post("/devices", status_code=201, summary="A new device credential; its key is in the "
                                                   "answer, once")
def create_device(body: NewDevice, engine: EngineDep, admin: Admin) -> dict[str, Any]:
    with engine.begin() as conn:
        key = devices.create_device(conn, body.name, body.topics, actor=admin.name)
    return {"name": body.name, "topics": body.topics, "key": key}


@router.delete("/devices/{name}", summary="Revoke a device credential")
def revoke_device(name: str, request: Request, engine: EngineDep, admin: Admin) -> dict[str, Any]:
    with _named(), engine.begin() as conn:
        digest = devices.revoke_device(conn, name, actor=admin.name)
    auth_cache(request).forget(digest)
    return {"name": name, "revoked": True}


# -- audit ----------------------------------------------------------------------------------------
@router.get("/audit", summary="The audit log, newest first")
def audit(
    conn: ConnectionDep, _: Auditor,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    table: Annotated[str | None, Query(max_length=200)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601; from this time")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601; before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    frame = query_audit(conn, actor=actor, table=table, target=target, since=since, until=until,
                        limit=limit)
    return {"entries": _records(frame)}
