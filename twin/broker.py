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
- ``use_username_as_clientid``: a client's id is its user name, so a device cannot connect with
  the ingester's client id, which would close the ingester's connection or wipe its persistent
  session (``twin ingest mqtt --client-id`` is then the user name, whatever it says).
- A listener on another address than loopback speaks TLS (``certfile``/``keyfile``, default port
  8883; the ingester beside the broker keeps a plaintext listener on loopback), unless asked for
  plaintext outright (``insecure``): a device's MQTT password is also its HTTP ingest key.

Run it again after device credentials change, then ``kill -HUP`` the broker: mosquitto reloads the
password file and ACL, so a revoked device can no longer connect. Files are replaced whole
(written aside, then renamed), so a reload never reads half a file.
"""

from __future__ import annotations

import ipaddress
import os
import pwd
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection

from twin.devices import INGESTER, device_credentials, mosquitto_hash
from twin.errors import InvalidInput

MAX_PACKET = 2 * 1024 * 1024
"""Largest MQTT packet the broker takes (bytes): a message of 10,000 observations, the most the
twin takes in one, is ~1.1 MB; the HTTP ingest has the same cap (TWIN_MAX_INGEST_BYTES)."""
BROKER_USER = "mosquitto"
"""The system user mosquitto runs as when started by root: it must read the files."""


TLS_PORT = 8883
"""The MQTT over TLS port (IANA)."""


@dataclass(frozen=True)
class Tls:
    """The broker's TLS files: its certificate and key (PEM), and optionally the CA certificate
    clients present certificates from (then a client must present one)."""

    certfile: Path
    keyfile: Path
    cafile: Path | None = None


@dataclass(frozen=True)
class Listener:
    """Where the broker listens, and with what."""

    host: str = "127.0.0.1"
    port: int | None = None
    """None: 1883, or 8883 with TLS."""
    tls: Tls | None = None
    local_port: int = 1883
    """With TLS: the plaintext loopback port the ingester on the broker's machine uses."""

    @property
    def bound_port(self) -> int:
        return self.port if self.port is not None else (TLS_PORT if self.tls else 1883)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only reaches this machine (``localhost``, ``127.x``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_listener(listener: Listener, *, insecure: bool = False) -> Listener:
    """``listener`` if it is safe: TLS files that exist, and no plaintext beyond loopback unless
    ``insecure``; else InvalidInput naming the problem."""
    if listener.tls is None:
        if not is_loopback(listener.host) and not insecure:
            raise InvalidInput(f"the broker would listen on {listener.host} without TLS, where "
                               "device keys can be read off the network: give --certfile and "
                               "--keyfile, or --insecure to accept that")
        return listener
    for option, path in (("certfile", listener.tls.certfile), ("keyfile", listener.tls.keyfile),
                         ("cafile", listener.tls.cafile)):
        if path is not None and not path.is_file():
            raise InvalidInput(f"--{option} {path}: no such file")
    tls = listener.tls
    resolved = Tls(tls.certfile.resolve(), tls.keyfile.resolve(),
                   tls.cafile.resolve() if tls.cafile else None)
    return Listener(listener.host, listener.port, resolved, listener.local_port)


@dataclass(frozen=True)
class BrokerConfig:
    """What ``write_broker_config`` wrote."""

    folder: Path
    devices: int
    """Device users written (revoked ones left out)."""
    revoked: int
    listener: Listener = Listener()

    @property
    def conf(self) -> Path:
        return self.folder / "mosquitto.conf"

    @property
    def secret_file(self) -> Path:
        return self.folder / "ingester.secret"


def mosquitto_conf(folder: Path, listener: Listener) -> str:
    """The broker's main configuration for files in ``folder``."""
    return "\n".join((
        "# Written by 'twin broker config' from the twin's device credentials: run it again after",
        "# they change, then reload the broker (kill -HUP). Edits here are overwritten.",
        "per_listener_settings false",
        *_listeners(listener),
        "allow_anonymous false",
        "use_username_as_clientid true",
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


def _listeners(listener: Listener) -> list[str]:
    """The ``listener`` lines (a TLS listener's options follow it, as mosquitto reads them)."""
    if listener.tls is None:
        return [f"listener {listener.bound_port} {listener.host}"]
    tls = listener.tls
    return [f"listener {listener.local_port} 127.0.0.1",
            f"listener {listener.bound_port} {listener.host}",
            f"certfile {tls.certfile}", f"keyfile {tls.keyfile}",
            *([f"cafile {tls.cafile}", "require_certificate true"] if tls.cafile else [])]


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


def write_broker_config(conn: Connection, folder: Path, listener: Listener | None = None, *,
                        insecure: bool = False) -> BrokerConfig:
    """Write ``mosquitto.conf``, ``passwords`` and ``acl`` (and ``ingester.secret`` the first
    time) into ``folder`` from the device credentials in ``conn``'s twin; a listener beyond
    loopback needs TLS unless ``insecure``."""
    listener = checked_listener(listener or Listener(), insecure=insecure)
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    devices, revoked = device_rows(conn)
    secret = ingester_secret(folder)
    owner = _broker_owner()
    _replace(folder / "passwords", password_file(devices, mosquitto_hash(secret)), 0o600, owner)
    _replace(folder / "acl", acl_file(devices), 0o600, owner)
    _replace(folder / "mosquitto.conf", mosquitto_conf(folder, listener), 0o644, owner)
    if owner is not None:
        os.chown(folder / "data", *owner)
        os.chmod(folder, 0o755)  # the broker's user must enter it; the secret stays 0600
    return BrokerConfig(folder, len(devices), revoked, listener)


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
