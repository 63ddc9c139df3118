"""Who may do what: users and their roles, API tokens and browser sessions, and who a secret is
(devices' keys are ``twin.devices``).

Secrets are shown once and never kept: passwords as argon2id hashes (``argon2-cffi``'s defaults:
64 MiB, 3 passes, 4 lanes), API tokens, session ids and device keys as the SHA-256 of the secret
(they are 256 random bits, so a fast hash is enough and lets a request find its row by the hash).

Roles and their permissions (``ROLE_PERMISSIONS``): viewer reads; engineer also simulates, edits
the networks named in ``users.networks`` and edits planning figures; operator also simulates and
handles incidents; admin does everything but ingest, which only device credentials carry.

Every write here records itself in the audit log (``twin.audit.record``) under ``actor``, in the
caller's transaction.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    ForeignKey,
    Identity,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from layers import NETWORKS
from twin.audit import record
from twin.errors import Conflict, InvalidInput
from twin.schema import metadata, one_of


class Permission(StrEnum):
    READ = "read"
    """layers, tiles, features, state, KPIs, incidents list, planning figures"""
    SIMULATE = "simulate"
    EDIT_NETWORK = "edit_network"
    """an engineer's own networks (``users.networks``); an admin's: all"""
    INCIDENTS = "incidents"
    """acknowledge, resolve, raise"""
    PLANNING_EDIT = "planning_edit"
    """unit costs, targets"""
    IMPORT = "import"
    USERS = "users"
    AUDIT = "audit"
    INGEST = "ingest"
    """live observations: device credentials only"""


P = Permission
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({P.READ}),
    "engineer": frozenset({P.READ, P.SIMULATE, P.EDIT_NETWORK, P.PLANNING_EDIT}),
    "operator": frozenset({P.READ, P.SIMULATE, P.INCIDENTS}),
    "admin": frozenset(set(P) - {P.INGEST}),
    "device": frozenset({P.INGEST}),
}
ROLES = ("viewer", "engineer", "operator", "admin")
"""The roles a user may have (``device`` belongs to device credentials only)."""
TOKEN_KINDS = ("token", "session")
SESSION_HOURS = 12
TOKEN_MAX_DAYS = 90
"""An API token's default and longest life (days; ``TWIN_TOKEN_MAX_DAYS``): a token a stolen session
made, or one forgotten in a script, does not work for ever."""
RESERVED_USERS = frozenset({"system", "anonymous"})
"""Names the audit log and the server use for themselves (``cli:<os user>`` cannot be a name:
``:`` is not allowed)."""
PREFIXES = {"token": "twt_", "session": "tws_", "device": "twd_"}
"""Every secret starts with its kind: a leaked one is recognised, and a request's is looked up in
the one table it can be in."""
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
"""User and device names: also MQTT user names and the broker password file's first field."""
CHANNEL = "twin_auth"
"""NOTIFY channel of credential changes that servers must not keep trusting (payload: the SHA-256
of a revoked secret, or empty for "forget everything"): sent in the writing transaction, so
delivered when it commits."""


class UnknownName(InvalidInput):
    """No user, token or device of that name or id: the web answers 404 when the path names it."""


_hasher = PasswordHasher()  # argon2id


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs what a wrong password
    does; made on first use (~50 ms, 64 MiB), not by every command that imports this module."""
    return _hasher.hash(secrets.token_urlsafe(16))


USED_EVERY = timedelta(minutes=5)
"""How often a token's ``last_used_at`` is written at most."""

users = Table(
    "users",
    metadata,
    Column("name", Text, primary_key=True, comment="login name"),
    Column("role", Text, nullable=False, comment="viewer, engineer, operator or admin"),
    Column("networks", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]"),
           comment="the networks an engineer may edit: power, water, drainage, telecom, road"),
    Column("password_hash", Text, nullable=False, comment="argon2id (PHC string); never the password"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("password_changed_at", DateTime(timezone=True), nullable=False,
           server_default=func.now()),
    Column("disabled_at", DateTime(timezone=True), comment="set: the user can no longer sign in"),
    one_of("role", ROLES),
    comment="People who sign in, with their role",
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("user_name", Text, ForeignKey("users.name", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("kind", Text, nullable=False, comment="token (API, long-lived) or session (browser, 12 h)"),
    Column("label", Text, nullable=False, comment="what the token is for"),
    Column("token_hash", Text, nullable=False, unique=True, comment="SHA-256 hex of the secret"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), comment="NULL: until revoked"),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True),
           comment="when a server last looked it up (at most once per cache period)"),
    one_of("kind", TOKEN_KINDS),
    comment="API tokens and browser sessions of users, as hashes of their secrets",
)



@dataclass(frozen=True)
class Principal:
    """Who a request (or command) acts as."""

    name: str
    role: str
    kind: Literal["user", "token", "session", "device", "anonymous"]
    networks: tuple[str, ...] = ()
    topics: tuple[str, ...] = field(default=(), compare=False)
    """device credentials: the MQTT topics they may publish"""
    expires_at: datetime | None = field(default=None, compare=False)

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def may_edit(self, network: str | None) -> bool:
        """EDIT_NETWORK on one network: an admin any, an engineer their own."""
        if not self.can(Permission.EDIT_NETWORK):
            return False
        return self.role == "admin" or (network is not None and network in self.networks)


# -- secrets --------------------------------------------------------------------------------------
def secret_hash(secret: str) -> str:
    """SHA-256 hex of a token, session id or device key: what the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def new_password() -> str:
    """A generated password: 20 characters, ~120 bits."""
    return secrets.token_urlsafe(15)


def check_name(name: str, what: str, reserved: frozenset[str]) -> None:
    """InvalidInput unless ``name`` follows :data:`NAME` and is none of ``reserved`` (any case)."""
    if not NAME.fullmatch(name):
        raise InvalidInput(f"{what} name '{name}' must be 1-64 letters, digits, '.', '_', '@' "
                           f"or '-', starting with a letter or digit")
    if name.lower() in reserved:
        raise InvalidInput(f"{what} name '{name}' is reserved for the twin itself")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"unknown role '{role}'; roles: {', '.join(ROLES)}")


def _check_networks(networks: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(networks))
    unknown = [n for n in chosen if n not in NETWORKS]
    if unknown:
        raise InvalidInput(f"unknown network '{unknown[0]}'; networks: {', '.join(NETWORKS)}")
    return chosen


def _check_password(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput("a password needs at least 10 characters")
    if len(password) > 1024:
        raise InvalidInput("a password may have at most 1,024 characters")


def announce(conn: Connection, digest: str = "") -> None:
    """Tell every server (``web.auth``) to forget a secret (by hash), or all it cached."""
    conn.execute(sa.select(func.pg_notify(CHANNEL, digest)))


# -- users ----------------------------------------------------------------------------------------
def _user_row(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(users.c.name, users.c.role, users.c.networks, users.c.disabled_at)
                       .where(users.c.name == name)).one_or_none()
    if row is None:
        raise UnknownName(f"no user '{name}'")
    return dict(row._mapping)


def user_exists(conn: Connection, name: str) -> bool:
    return conn.execute(sa.select(users.c.name).where(users.c.name == name)).first() is not None


def create_user(conn: Connection, name: str, role: str, *, password: str | None = None,
                networks: Sequence[str] = (), actor: str = "system") -> str:
    """Add a user; returns the password (generated when None: show it once, it is not kept)."""
    check_name(name, "user", RESERVED_USERS)
    _check_role(role)
    chosen = _check_networks(networks)
    if password is None:
        password = new_password()
    _check_password(password)
    if user_exists(conn, name):
        raise Conflict(f"a user named '{name}' exists")
    conn.execute(users.insert().values(name=name, role=role, networks=chosen,
                                       password_hash=_hasher.hash(password)))
    record(conn, actor=actor, action="user.create", table="users", target=name, before=None,
           after={"name": name, "role": role, "networks": chosen})
    return password


def set_password(conn: Connection, name: str, password: str | None = None, *,
                 keep_tokens: bool = False, actor: str = "system") -> str:
    """A new password for ``name`` (generated when None); ends the user's browser sessions and,
    unless ``keep_tokens``, their API tokens: a reset after a compromise must also stop any token
    the intruder made."""
    _user_row(conn, name)
    if password is None:
        password = new_password()
    _check_password(password)
    conn.execute(users.update().where(users.c.name == name).values(
        password_hash=_hasher.hash(password), password_changed_at=func.now()))
    ended = _revoke(conn, name, ("session",) if keep_tokens else TOKEN_KINDS)
    announce(conn)
    record(conn, actor=actor, action="user.password", table="users", target=name,
           before=None, after=None, detail={"password": "changed", "sessions": "ended",
                                            "tokens": "kept" if keep_tokens else "revoked",
                                            "revoked": ended})
    return password


def _last_admin_check(conn: Connection, name: str) -> None:
    """Conflict when ``name`` is the only enabled admin (the others' rows locked meanwhile, so two
    admins cannot demote each other at once)."""
    admins = conn.execute(sa.select(users.c.name).where(
        users.c.role == "admin", users.c.disabled_at.is_(None)).with_for_update()).scalars().all()
    if admins == [name]:
        raise Conflict(f"'{name}' is the last active admin: make another admin first")


def set_role(conn: Connection, name: str, role: str, *, actor: str = "system") -> None:
    _check_role(role)
    before = _user_row(conn, name)
    if before["role"] == "admin" and role != "admin" and before["disabled_at"] is None:
        _last_admin_check(conn, name)
    conn.execute(users.update().where(users.c.name == name).values(role=role))
    announce(conn)
    record(conn, actor=actor, action="user.role", table="users", target=name,
           before={"role": before["role"]}, after={"role": role})


def set_networks(conn: Connection, name: str, networks: Sequence[str], *,
                 actor: str = "system") -> None:
    chosen = _check_networks(networks)
    before = _user_row(conn, name)
    conn.execute(users.update().where(users.c.name == name).values(networks=chosen))
    announce(conn)
    record(conn, actor=actor, action="user.networks", table="users", target=name,
           before={"networks": list(before["networks"])}, after={"networks": chosen})


def disable_user(conn: Connection, name: str, *, actor: str = "system") -> None:
    """The user can no longer sign in, and their tokens and sessions stop working."""
    before = _user_row(conn, name)
    if before["disabled_at"] is not None:
        return
    if before["role"] == "admin":
        _last_admin_check(conn, name)
    conn.execute(users.update().where(users.c.name == name).values(disabled_at=func.now()))
    announce(conn)
    record(conn, actor=actor, action="user.disable", table="users", target=name,
           before={"disabled": False}, after={"disabled": True})


def enable_user(conn: Connection, name: str, *, actor: str = "system") -> None:
    before = _user_row(conn, name)
    if before["disabled_at"] is None:
        return
    conn.execute(users.update().where(users.c.name == name).values(disabled_at=None))
    announce(conn)  # servers that cached the user's secrets as refused look them up again
    record(conn, actor=actor, action="user.enable", table="users", target=name,
           before={"disabled": True}, after={"disabled": False})


def list_users(conn: Connection) -> pd.DataFrame:
    """Every user: name, role, networks, created_at, password_changed_at, disabled_at (no hashes)."""
    columns = [users.c.name, users.c.role, users.c.networks, users.c.created_at,
               users.c.password_changed_at, users.c.disabled_at]
    rows = conn.execute(sa.select(*columns).order_by(users.c.name)).all()
    frame = pd.DataFrame([r._asdict() for r in rows], columns=[c.name for c in columns])
    frame["networks"] = frame["networks"].map(list)
    return frame


def stored_password(conn: Connection, name: str) -> str:
    """The argon2 hash to check a sign-in of ``name`` against: a dummy one when there is no such
    user, so a wrong name costs what a wrong password does."""
    stored = conn.execute(sa.select(users.c.password_hash).where(users.c.name == name)
                          ).scalar_one_or_none()
    return stored if stored is not None else _dummy_hash()


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``stored`` (~64 MiB and some 50 ms: call it
    with no database connection held)."""
    try:
        return bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def signed_in(conn: Connection, name: str, stored: str, password: str) -> Principal | None:
    """After ``verify_password(stored, password)`` said yes: the user if still enabled and their
    hash still ``stored`` (not changed meanwhile); rehashes when argon2's parameters have grown."""
    row = conn.execute(sa.select(users.c.name, users.c.role, users.c.networks,
                                 users.c.password_hash, users.c.disabled_at)
                       .where(users.c.name == name)).one_or_none()
    if row is None or row.disabled_at is not None or row.password_hash != stored:
        return None
    if _hasher.check_needs_rehash(stored):
        conn.execute(users.update().where(users.c.name == name)
                     .values(password_hash=_hasher.hash(password)))
    return Principal(row.name, row.role, "user", tuple(row.networks))


def check_login(conn: Connection, name: str, password: str) -> Principal | None:
    """The user if ``password`` is theirs and they are enabled; None otherwise, taking the same
    time whether or not the name exists. (The web server does the same in three steps, so that
    no connection is held while argon2 works.)"""
    stored = stored_password(conn, name)
    if not verify_password(stored, password):
        return None
    return signed_in(conn, name, stored, password)


def ensure_admin(conn: Connection, name: str = "admin", *, actor: str = "system") -> str | None:
    """Create user ``name`` as admin with a generated password when the twin has no enabled
    admin and no user of that name; returns the password (show it once), else None."""
    has_admin = conn.execute(sa.select(users.c.name).where(
        users.c.role == "admin", users.c.disabled_at.is_(None))).first() is not None
    if has_admin or user_exists(conn, name):
        return None
    return create_user(conn, name, "admin", actor=actor)


# -- tokens and sessions --------------------------------------------------------------------------
def token_expiry(expires_at: datetime | None, *, max_days: int = TOKEN_MAX_DAYS,
                 not_after: datetime | None = None) -> datetime:
    """A new token's expiry: ``expires_at`` if it is in the next ``max_days`` days and not after
    ``not_after`` (the token making it: a leaked token cannot renew itself for ever), else
    InvalidInput; None: the latest allowed."""
    now = datetime.now(UTC)
    latest = now + timedelta(days=max_days)
    if expires_at is None:
        return latest if not_after is None else min(latest, not_after)
    if expires_at.tzinfo is None:
        raise InvalidInput(f"expiry {expires_at.isoformat()} has no time zone (add Z or +07:00)")
    if expires_at <= now:
        raise InvalidInput(f"expiry {expires_at.isoformat()} is already past")
    if expires_at > latest + timedelta(minutes=1):
        raise InvalidInput(f"a token lives at most {max_days} days: expiry "
                           f"{expires_at.isoformat()} is later than {latest:%Y-%m-%d}")
    if not_after is not None and expires_at > not_after:
        raise InvalidInput(f"a token may not outlive the token that makes it: expiry "
                           f"{expires_at.isoformat()} is later than {not_after.isoformat()}")
    return expires_at


def create_token(conn: Connection, user_name: str, label: str, *,
                 expires_at: datetime | None = None, max_days: int = TOKEN_MAX_DAYS,
                 actor: str = "system") -> str:
    """A new API token of ``user_name``, expiring at ``expires_at`` (default and latest:
    ``max_days`` from now, ``token_expiry``); returns the secret (shown once: only its hash is
    kept)."""
    user = _user_row(conn, user_name)
    if user["disabled_at"] is not None:
        raise Conflict(f"user '{user_name}' is disabled")
    if not label.strip() or len(label) > 200:
        raise InvalidInput("a token needs a label of 1-200 characters (what it is for)")
    expires_at = token_expiry(expires_at, max_days=max_days)
    secret = new_secret("token")
    token_id = conn.execute(api_tokens.insert().values(
        user_name=user_name, kind="token", label=label, token_hash=secret_hash(secret),
        expires_at=expires_at).returning(api_tokens.c.id)).scalar_one()
    record(conn, actor=actor, action="token.create", table="api_tokens", target=str(token_id),
           before=None, after={"user": user_name, "label": label, "expires_at": expires_at})
    return secret


def create_session(conn: Connection, principal: Principal) -> tuple[str, datetime]:
    """A browser session of a signed-in user, for ``SESSION_HOURS``; (secret, expiry)."""
    secret = new_secret("session")
    expires_at = datetime.now(UTC) + timedelta(hours=SESSION_HOURS)
    conn.execute(api_tokens.insert().values(
        user_name=principal.name, kind="session", label="browser session",
        token_hash=secret_hash(secret), expires_at=expires_at))
    record(conn, actor=principal.name, action="session.login", table="api_tokens",
           target=principal.name, before=None, after={"expires_at": expires_at})
    return secret, expires_at


def end_session(conn: Connection, secret: str) -> str | None:
    """Revoke the session ``secret`` names; its user's name, or None when it was not live."""
    name = conn.execute(api_tokens.update()
                        .where(api_tokens.c.token_hash == secret_hash(secret),
                               api_tokens.c.kind == "session", api_tokens.c.revoked_at.is_(None))
                        .values(revoked_at=func.now()).returning(api_tokens.c.user_name)
                        ).scalar_one_or_none()
    if name is not None:
        announce(conn, secret_hash(secret))
        record(conn, actor=name, action="session.logout", table="api_tokens", target=name,
               before=None, after=None)
    return name


def _revoke(conn: Connection, user_name: str, kinds: Sequence[str]) -> int:
    """Revoke the user's live credentials of ``kinds``; how many."""
    t = api_tokens.c
    return len(conn.execute(api_tokens.update().where(
        t.user_name == user_name, t.kind.in_(kinds), t.revoked_at.is_(None))
        .values(revoked_at=func.now()).returning(t.id)).all())


def list_tokens(conn: Connection, user_name: str | None = None) -> pd.DataFrame:
    """API tokens (not sessions), of one user when given: id, user_name, label, created_at,
    expires_at, revoked_at, last_used_at (never the hash)."""
    t = api_tokens.c
    columns = [t.id, t.user_name, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at]
    query = sa.select(*columns).where(t.kind == "token").order_by(t.user_name, t.id)
    if user_name is not None:
        query = query.where(t.user_name == user_name)
    return pd.DataFrame([r._asdict() for r in conn.execute(query)],
                        columns=[c.name for c in columns])


def revoke_token(conn: Connection, token_id: int, *, user_name: str | None = None,
                 actor: str = "system") -> str:
    """Revoke API token ``token_id`` (only if it is ``user_name``'s, when given); returns its hash
    so a server can forget it at once."""
    t = api_tokens.c
    query = sa.select(t.user_name, t.label, t.token_hash, t.revoked_at).where(
        t.id == token_id, t.kind == "token")
    if user_name is not None:
        query = query.where(t.user_name == user_name)
    row = conn.execute(query).one_or_none()
    if row is None:
        raise UnknownName(f"no token {token_id}")
    if row.revoked_at is None:
        conn.execute(api_tokens.update().where(t.id == token_id).values(revoked_at=func.now()))
        announce(conn, str(row.token_hash))
        record(conn, actor=actor, action="token.revoke", table="api_tokens", target=str(token_id),
               before={"revoked": False}, after={"revoked": True},
               detail={"user": row.user_name, "label": row.label})
    return str(row.token_hash)


# -- who a secret is ------------------------------------------------------------------------------
def principal_for_secret(conn: Connection, secret: str) -> Principal | None:
    """The principal a token, session id or device key stands for, or None when it is unknown,
    expired, revoked or its user disabled. Marks a token or session as used when its mark is
    older than ``USED_EVERY``: a write on every lookup made concurrent lookups (a map's burst of
    tiles after a cache entry ran out) wait on each other's commits."""
    digest = secret_hash(secret)
    if secret.startswith(PREFIXES["device"]):
        from twin.devices import device_principal  # twin.devices builds on this module

        return device_principal(conn, digest)
    t, u = api_tokens.c, users.c
    kind = "session" if secret.startswith(PREFIXES["session"]) else "token"
    stale = sa.or_(t.last_used_at.is_(None), t.last_used_at < func.now() - USED_EVERY)
    row = conn.execute(
        sa.select(u.name, u.role, u.networks, t.expires_at, t.id, stale.label("stale"))
        .where(t.token_hash == digest, t.kind == kind, t.revoked_at.is_(None),
               sa.or_(t.expires_at.is_(None), t.expires_at > func.clock_timestamp()),
               u.name == t.user_name, u.disabled_at.is_(None))).one_or_none()
    if row is None:
        return None
    if row.stale:
        conn.execute(api_tokens.update().where(t.id == row.id).values(last_used_at=func.now()))
    return Principal(row.name, row.role, kind, tuple(row.networks),  # type: ignore[arg-type]
                     expires_at=row.expires_at)
