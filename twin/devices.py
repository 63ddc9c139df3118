"""Device credentials: the keys devices and gateways send live data with, and the MQTT topics each
may publish.

A key is shown once and kept twice, never in clear: as its SHA-256 (the HTTP ingest finds the row
by it, as ``twin.auth`` does for tokens) and in mosquitto 2's password-file format
(PBKDF2-HMAC-SHA512, ``$7$``) so ``twin.broker`` can write the broker's password file without the
key. The same topic patterns (``+`` one level, ``#`` the rest) bound a device on the broker (its
ACL) and on the HTTP ingest (:func:`topic_allowed`).

Every write records itself in the audit log under ``actor``, in the caller's transaction.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import CheckConstraint, Column, Connection, DateTime, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY

from twin.audit import record
from twin.auth import Principal, UnknownName, announce, check_name, new_secret, secret_hash
from twin.errors import Conflict, InvalidInput
from twin.schema import metadata

INGESTER = "urban-twin-ingester"
"""The broker user of ``twin ingest mqtt`` (``twin.broker``): no device may take its name."""
MQTT_ITERATIONS = 101
"""mosquitto_passwd's default PBKDF2 iterations for ``$7$`` hashes."""
TOPIC = re.compile(r"twin/(?:[^/#+\s]+|\+)(?:/(?:[^/#+\s]+|\+))*(?:/#)?|twin/#")
"""A topic pattern a device may be given: under ``twin/``, + for one level, # last."""

device_credentials = Table(
    "device_credentials",
    metadata,
    Column("name", Text, primary_key=True, comment="the device or gateway; its MQTT user name"),
    Column("key_hash", Text, nullable=False, unique=True, comment="SHA-256 hex of the key (HTTP)"),
    Column("mqtt_hash", Text, nullable=False,
           comment="the same key in mosquitto 2's password-file format ($7$, PBKDF2-HMAC-SHA512)"),
    Column("topics", ARRAY(Text), nullable=False,
           comment="MQTT topics it may publish (+ and # wildcards)"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint("cardinality(topics) > 0", name="has_topics"),
    comment="Keys of the devices and gateways that send live data",
)


def mosquitto_hash(secret: str, *, salt: bytes | None = None) -> str:
    """``secret`` as mosquitto 2's password file keeps it: ``$7$101$<salt>$<PBKDF2-HMAC-SHA512>``
    (12-byte salt, 64-byte hash, standard base64)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, MQTT_ITERATIONS)
    return (f"$7${MQTT_ITERATIONS}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(digest).decode()}")


def create_device(conn: Connection, name: str, topics: list[str], *, actor: str = "system") -> str:
    """A device or gateway credential that may publish ``topics`` (MQTT patterns under ``twin/``,
    with + and #); returns its key once. A gateway's ``twin/observations/...`` topic lets it
    report on any asset (the asset ids are in its messages); the live tables keep its name."""
    check_name(name, "device", frozenset({INGESTER}))
    if not topics:
        raise InvalidInput(f"device '{name}' needs at least one topic it may publish")
    bad = [t for t in topics if not TOPIC.fullmatch(t)]
    if bad:
        raise InvalidInput(f"topic '{bad[0]}' is not an MQTT topic pattern under twin/ "
                           f"(levels separated by /, + for one level, # last)")
    if conn.execute(sa.select(device_credentials.c.name)
                    .where(device_credentials.c.name == name)).first() is not None:
        raise Conflict(f"a device named '{name}' exists")
    secret = new_secret("device")
    conn.execute(device_credentials.insert().values(
        name=name, key_hash=secret_hash(secret), mqtt_hash=mosquitto_hash(secret),
        topics=list(topics)))
    record(conn, actor=actor, action="device.create", table="device_credentials", target=name,
           before=None, after={"name": name, "topics": list(topics)})
    return secret


def revoke_device(conn: Connection, name: str, *, actor: str = "system") -> str:
    """Revoke a device credential; returns its key hash (for servers to forget it)."""
    d = device_credentials.c
    row = conn.execute(sa.select(d.key_hash, d.revoked_at).where(d.name == name)).one_or_none()
    if row is None:
        raise UnknownName(f"no device '{name}'")
    if row.revoked_at is None:
        conn.execute(device_credentials.update().where(d.name == name).values(revoked_at=func.now()))
        announce(conn, str(row.key_hash))
        record(conn, actor=actor, action="device.revoke", table="device_credentials", target=name,
               before={"revoked": False}, after={"revoked": True})
    return str(row.key_hash)


def list_devices(conn: Connection) -> pd.DataFrame:
    """Every device credential: name, topics, created_at, revoked_at (never the hashes)."""
    d = device_credentials.c
    columns = [d.name, d.topics, d.created_at, d.revoked_at]
    rows = conn.execute(sa.select(*columns).order_by(d.name)).all()
    frame = pd.DataFrame([r._asdict() for r in rows], columns=[c.name for c in columns])
    frame["topics"] = frame["topics"].map(list)
    return frame


def device_principal(conn: Connection, digest: str) -> Principal | None:
    """The device whose live key hashes to ``digest`` (SHA-256 hex), or None."""
    d = device_credentials.c
    row = conn.execute(sa.select(d.name, d.topics).where(
        d.key_hash == digest, d.revoked_at.is_(None))).one_or_none()
    return None if row is None else Principal(row.name, "device", "device",
                                              topics=tuple(row.topics))


def topic_allowed(topic: str, patterns: Iterable[str]) -> bool:
    """Whether MQTT ``topic`` matches one of ``patterns`` (+ one level, # the rest)."""
    levels = topic.split("/")
    for pattern in patterns:
        wanted = pattern.split("/")
        for i, part in enumerate(wanted):
            if part == "#":
                return True
            if i >= len(levels) or (part != "+" and part != levels[i]):
                break
        else:
            if len(wanted) == len(levels):
                return True
    return False
