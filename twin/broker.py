"""The MQTT broker's configuration, written from the twin's device credentials: mosquitto 2's
``mosquitto.conf``, its password file and its ACL.

- No anonymous clients. Each device credential that is not revoked is a broker user named after
  it, with the key's hash the twin keeps (``device_credentials.mqtt_hash``, mosquitto's ``$7$``
  format: the twin never holds the key itself), and may publish only its own topics (the
  credential's ``topics``) and read nothing.
- One ingester user (:data:`INGESTER`) reads ``twin/#`` and publishes nothing. Its secret is
  generated once into ``ingester.secret`` (mode 0600) beside the configuration and kept on later
  runs; ``twin ingest mqtt`` uses it through ``--broker mqtt://urban-twin-ingester:SECRET@host``
  or ``--broker-secret FILE``.
- Persistence on, no cap on queued messages, 1,000 in flight (docs/live.md: the ingester's
  session must keep what arrives while it is down); packets of at most 2 MiB.

Run it again after device credentials change, then ``kill -HUP`` the broker: mosquitto reloads the
password file and ACL, so a revoked device can no longer connect. Files are replaced whole
(written aside, then renamed), so a reload never reads half a file.
"""

from __future__ import annotations

import os
import pwd
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection

from twin.auth import device_credentials, mosquitto_hash
from twin.errors import InvalidInput

INGESTER = "urban-twin-ingester"
"""The broker user of ``twin ingest mqtt`` (also its default MQTT client id)."""
MAX_PACKET = 2 * 1024 * 1024
"""Largest MQTT packet the broker takes (bytes): a message of 10,000 observations, the most the
twin takes in one, is ~1.1 MB; the HTTP ingest has the same cap (TWIN_MAX_INGEST_BYTES)."""
BROKER_USER = "mosquitto"
"""The system user mosquitto runs as when started by root: it must read the files."""


@dataclass(frozen=True)
class BrokerConfig:
    """What ``write_broker_config`` wrote."""

    folder: Path
    devices: int
    """Device users written (revoked ones left out)."""
    revoked: int

    @property
    def conf(self) -> Path:
        return self.folder / "mosquitto.conf"

    @property
    def secret_file(self) -> Path:
        return self.folder / "ingester.secret"


def mosquitto_conf(folder: Path, host: str, port: int) -> str:
    """The broker's main configuration for files in ``folder``."""
    return "\n".join((
        "# Written by 'twin broker config' from the twin's device credentials: run it again after",
        "# they change, then reload the broker (kill -HUP). Edits here are overwritten.",
        "per_listener_settings false",
        f"listener {port} {host}",
        "allow_anonymous false",
        f"password_file {folder / 'passwords'}",
        f"acl_file {folder / 'acl'}",
        "persistence true",
        f"persistence_location {folder / 'data'}/",
        "max_queued_messages 0",
        "max_inflight_messages 1000",
        f"max_packet_size {MAX_PACKET}",
        "log_dest stderr",
        "",
    ))


def device_rows(conn: Connection) -> tuple[list[tuple[str, str, list[str]]], int]:
    """(name, mqtt_hash, topics) of every device credential not revoked, by name; and how many
    are revoked."""
    d = device_credentials.c
    rows = conn.execute(sa.select(d.name, d.mqtt_hash, d.topics, d.revoked_at)
                        .order_by(d.name)).all()
    active = [(r.name, r.mqtt_hash, list(r.topics)) for r in rows if r.revoked_at is None]
    if any(name == INGESTER for name, _, _ in active):
        raise InvalidInput(f"a device is named '{INGESTER}', the ingester's broker user: "
                           "rename the device")
    return active, len(rows) - len(active)


def password_file(devices: list[tuple[str, str, list[str]]], ingester_hash: str) -> str:
    return "".join(f"{name}:{hashed}\n" for name, hashed in
                   [(INGESTER, ingester_hash), *((n, h) for n, h, _ in devices)])


def acl_file(devices: list[tuple[str, str, list[str]]]) -> str:
    """The ingester reads ``twin/#``; each device writes its own topics only."""
    blocks = [f"user {INGESTER}\ntopic read twin/#\n"]
    blocks += ["".join([f"user {name}\n", *(f"topic write {t}\n" for t in topics)])
               for name, _, topics in devices]
    return "# Written by 'twin broker config'.\n\n" + "\n".join(blocks)


def ingester_secret(folder: Path) -> str:
    """The ingester's secret from ``ingester.secret``, generated (mode 0600) the first time."""
    path = folder / "ingester.secret"
    if path.exists():
        secret = path.read_text().strip()
        if secret:
            return secret
    secret = secrets.token_urlsafe(32)
    _replace(path, secret + "\n", 0o600)
    return secret


def with_secret(url: str, secret: str) -> str:
    """The broker URL with ``secret`` as its password (user: the URL's, else the ingester)."""
    from ingest.live.mqtt import parse_broker

    broker = parse_broker(url)
    if not secret:
        raise InvalidInput("the broker secret file is empty")
    return f"mqtt://{broker.username or INGESTER}:{secret}@{broker.host}:{broker.port}"


def write_broker_config(conn: Connection, folder: Path, *, host: str = "127.0.0.1",
                        port: int = 1883) -> BrokerConfig:
    """Write ``mosquitto.conf``, ``passwords`` and ``acl`` (and ``ingester.secret`` the first
    time) into ``folder`` from the device credentials in ``conn``'s twin."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    devices, revoked = device_rows(conn)
    secret = ingester_secret(folder)
    owner = _broker_owner()
    _replace(folder / "passwords", password_file(devices, mosquitto_hash(secret)), 0o600, owner)
    _replace(folder / "acl", acl_file(devices), 0o600, owner)
    _replace(folder / "mosquitto.conf", mosquitto_conf(folder, host, port), 0o644, owner)
    if owner is not None:
        os.chown(folder / "data", *owner)
        os.chmod(folder, 0o755)  # the broker's user must enter it; the secret stays 0600
    return BrokerConfig(folder, len(devices), revoked)


def _broker_owner() -> tuple[int, int] | None:
    """As root: the mosquitto user's (uid, gid), since the broker drops root before it reads its
    password file and ACL; otherwise None (the files stay the caller's)."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam(BROKER_USER)
    except KeyError:
        return None
    return user.pw_uid, user.pw_gid


def _replace(path: Path, text: str, mode: int, owner: tuple[int, int] | None = None) -> None:
    """Write ``text`` aside with ``mode`` (and ``owner``), then rename it over ``path``."""
    aside = path.with_name(f".{path.name}.new")
    aside.unlink(missing_ok=True)
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.chmod(aside, mode)
    if owner is not None:
        os.chown(aside, *owner)
    os.replace(aside, path)
