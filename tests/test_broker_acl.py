"""The broker configuration ``twin broker config`` writes, run by a real mosquitto over the small
demo city: anonymous and wrong passwords refused, a device publishes only its own topics, the
ingester reads them into the twin with its generated secret, and a revoked device is refused once
the configuration is written again and the broker reloaded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy.engine import Engine

from ingest.live.mqtt import MqttIngester
from tests.conftest import run_twin
from tests.live_fixtures import MOSQUITTO
from tests.test_live_ingest import wait_for
from tests.web_fixtures import free_port
from twin import devices
from twin.broker import with_secret
from twin.devices import INGESTER

LAMP_A, LAMP_B = "LUM-000001", "LUM-000002"


def _topic(lamp: str) -> str:
    return f"twin/devices/{lamp}/state"


class Broker:
    """mosquitto running the configuration in ``folder`` (its own process, stopped by its pid)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.log = (folder.parent / "mosquitto.log").open("wb")
        self.process = subprocess.Popen([str(MOSQUITTO), "-c", str(folder / "mosquitto.conf")],
                                        stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_listening(self) -> None:
        import socket

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.logged()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def logged(self) -> str:
        """What the broker wrote to its log (its standard error)."""
        if not self.log.closed:
            self.log.flush()
        return (self.folder.parent / "mosquitto.log").read_text(errors="replace")

    def reload(self) -> None:
        os.kill(self.process.pid, signal.SIGHUP)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def connect(port: int, user: str | None = None, password: str | None = None
            ) -> tuple[mqtt.Client, mqtt.ReasonCode]:
    """A client that tried to connect: it and the broker's answer (CONNACK reason)."""
    answered = threading.Event()
    reason: list[mqtt.ReasonCode] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv311)

    def on_connect(client, userdata, flags, code, properties) -> None:  # noqa: ANN001
        reason.append(code)
        answered.set()

    client.on_connect = on_connect
    if user is not None:
        client.username_pw_set(user, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert answered.wait(10), "the broker did not answer the CONNECT"
    if reason[0].is_failure:
        client.loop_stop()
        client.disconnect()
    return client, reason[0]


def refused(port: int, user: str | None = None, password: str | None = None) -> bool:
    client, code = connect(port, user, password)
    if not code.is_failure:
        client.loop_stop()
        client.disconnect()
    return code.is_failure


@contextmanager
def ingesting(engine: Engine, url: str) -> Iterator[MqttIngester]:
    """``twin ingest mqtt``'s ingester on ``url`` (with its user and secret), in a thread."""
    ingester = MqttIngester(engine, url, client_id=INGESTER, max_delay_s=0.02)
    worker = threading.Thread(target=ingester.run)
    worker.start()
    try:
        assert ingester.ready.wait(10), "the ingester did not subscribe"
        yield ingester
    finally:
        ingester.stop.set()
        worker.join(30)


def state(at: datetime, value: str) -> bytes:
    return json.dumps({"state": value, "time": at.isoformat()}).encode()


@pytest.fixture
def configured(demo_copy: Engine, demo_database_url: str
               ) -> Iterator[tuple[Broker, dict[str, str]]]:
    """Two lamp devices, the configuration written by the command, and mosquitto running it (in
    a folder the broker's own user may enter: as root it drops to that user)."""
    with demo_copy.begin() as conn:
        keys = {"lamp-a": devices.create_device(conn, "lamp-a", [_topic(LAMP_A)]),
                "lamp-b": devices.create_device(conn, "lamp-b", [_topic(LAMP_B)])}
    home = Path(tempfile.mkdtemp(prefix="twin-broker-"))
    home.chmod(0o755)
    folder, port = home / "broker", free_port()
    run_twin("broker", "config", "--output", str(folder), "--port", str(port),
             env={"TWIN_DATABASE_URL": demo_database_url})
    broker = Broker(folder, port)
    try:
        broker.wait_listening()
        yield broker, keys
    finally:
        broker.stop()
        print(broker.logged())  # shown by pytest when the test fails
        shutil.rmtree(home, ignore_errors=True)


def test_the_files_keep_no_secret_in_the_open(configured):
    broker, keys = configured
    secret_file = broker.folder / "ingester.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((broker.folder / "passwords").stat().st_mode) == 0o600
    texts = "".join((broker.folder / f).read_text() for f in ("mosquitto.conf", "passwords", "acl"))
    assert "allow_anonymous false" in texts
    for secret in [*keys.values(), secret_file.read_text().strip()]:
        assert secret not in texts


def test_anonymous_and_wrong_passwords_are_refused(configured):
    broker, keys = configured
    assert refused(broker.port)
    assert refused(broker.port, "lamp-a", "wrong")
    assert refused(broker.port, "lamp-a", keys["lamp-b"])
    assert refused(broker.port, INGESTER, "wrong")
    assert not refused(broker.port, "lamp-a", keys["lamp-a"])


def test_a_device_reaches_the_ingester_on_its_own_topics_only(configured, demo_copy):
    broker, keys = configured
    secret = (broker.folder / "ingester.secret").read_text().strip()
    url = with_secret(f"mqtt://127.0.0.1:{broker.port}", secret)
    now = datetime.now(UTC).replace(microsecond=0)
    with ingesting(demo_copy, url):
        # mosquitto 2.0 acknowledges a publish its ACL refuses, drops it, and then drops the
        # device's connection too: the last message goes over a connection of its own
        for messages in ([(_topic(LAMP_A), state(now - timedelta(seconds=2), "on")),
                          (_topic(LAMP_B), state(now - timedelta(seconds=1), "failed"))],
                         [(_topic(LAMP_A), state(now, "off"))]):
            lamp_a, code = connect(broker.port, "lamp-a", keys["lamp-a"])
            assert not code.is_failure
            for topic, payload in messages:
                lamp_a.publish(topic, payload, qos=1).wait_for_publish(10)
            lamp_a.loop_stop()
            lamp_a.disconnect()
        wait_for(lambda: _states(demo_copy).get(LAMP_A) == "off")  # the last of A's, in order
    assert LAMP_B not in _states(demo_copy)  # the broker dropped A's publish to B's topic
    with demo_copy.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM live_dead_letters").scalar_one() == 0


def test_a_revoked_device_is_refused_after_the_config_is_written_again(
        configured, demo_copy, demo_database_url):
    broker, keys = configured
    assert not refused(broker.port, "lamp-b", keys["lamp-b"])
    with demo_copy.begin() as conn:
        devices.revoke_device(conn, "lamp-b")
    secret_before = (broker.folder / "ingester.secret").read_text()
    out = run_twin("broker", "config", "--output", str(broker.folder), "--port", str(broker.port),
                   env={"TWIN_DATABASE_URL": demo_database_url})
    assert "1 device(s), 1 revoked" in out.stdout + out.stderr
    assert (broker.folder / "ingester.secret").read_text() == secret_before  # the ingester keeps it
    broker.reload()
    wait_for(lambda: refused(broker.port, "lamp-b", keys["lamp-b"]), timeout=10)
    assert not refused(broker.port, "lamp-a", keys["lamp-a"])
    assert not refused(broker.port, INGESTER, secret_before.strip())


def _states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT asset_id, value_text FROM live_current WHERE property = 'state' "
            "AND asset_id IN ('LUM-000001', 'LUM-000002')").all())


def _session_client(port: int, user: str, password: str, client_id: str, *, persistent: bool
                    ) -> tuple[mqtt.Client, dict[str, object]]:
    """A connected client that records whether the broker kept its session, its messages and
    whether it was disconnected."""
    seen: dict[str, object] = {"messages": [], "disconnected": threading.Event()}
    connected = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         clean_session=not persistent, protocol=mqtt.MQTTv311)

    def on_connect(client, userdata, flags, code, properties) -> None:  # noqa: ANN001
        seen["session_present"], seen["code"] = flags.session_present, code
        connected.set()

    def on_message(client, userdata, message) -> None:  # noqa: ANN001
        seen["messages"].append(message.payload)  # type: ignore[attr-defined]

    def on_disconnect(client, userdata, flags, code, properties) -> None:  # noqa: ANN001
        seen["disconnected"].set()  # type: ignore[attr-defined]

    client.on_connect, client.on_message = on_connect, on_message
    client.on_disconnect = on_disconnect
    client.username_pw_set(user, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert connected.wait(10), "the broker did not answer the CONNECT"
    assert not seen["code"].is_failure  # type: ignore[attr-defined]
    return client, seen


def _close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


def test_a_device_cannot_take_the_ingesters_client_id(configured):
    """A device connecting with the ingester's client id neither closes the ingester's
    connection nor wipes its persistent session (what was published meanwhile still arrives)."""
    broker, keys = configured
    secret = (broker.folder / "ingester.secret").read_text().strip()
    ingester, seen = _session_client(broker.port, INGESTER, secret, INGESTER, persistent=True)
    ingester.subscribe("twin/#", qos=1)
    time.sleep(0.5)  # the subscription is in the session
    intruder, _ = _session_client(broker.port, "lamp-a", keys["lamp-a"], INGESTER, persistent=False)
    time.sleep(0.5)
    assert not seen["disconnected"].is_set()  # type: ignore[attr-defined]
    _close(intruder)
    _close(ingester)
    # the ingester is away; a device taking its id with a clean session must not end its session
    intruder, _ = _session_client(broker.port, "lamp-a", keys["lamp-a"], INGESTER, persistent=False)
    intruder.publish(_topic(LAMP_A), b"while away", qos=1).wait_for_publish(10)
    _close(intruder)
    ingester, seen = _session_client(broker.port, INGESTER, secret, INGESTER, persistent=True)
    try:
        assert seen["session_present"] is True
        wait_for(lambda: b"while away" in seen["messages"], timeout=10)  # type: ignore[operator]
    finally:
        _close(ingester)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "broker.crt", folder / "broker.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    key.chmod(0o644)  # the broker's own user reads it when the test runs as root
    return cert, key


def test_beyond_loopback_the_broker_speaks_tls(demo_copy, demo_database_url):
    """A plaintext listener on another address is refused with one line (unless --insecure);
    with --certfile/--keyfile devices connect over TLS, and the ingester on loopback."""
    with demo_copy.begin() as conn:
        key = devices.create_device(conn, "lamp-tls", [_topic(LAMP_A)])
    home = Path(tempfile.mkdtemp(prefix="twin-broker-"))
    home.chmod(0o755)
    folder, env = home / "broker", {"TWIN_DATABASE_URL": demo_database_url}
    try:
        refused_run = run_twin("broker", "config", "--output", str(folder), "--host", "0.0.0.0",
                               env=env, check=False)
        assert refused_run.returncode != 0
        assert "without TLS" in refused_run.stderr + refused_run.stdout
        assert not (folder / "mosquitto.conf").exists()
        run_twin("broker", "config", "--output", str(folder), "--host", "0.0.0.0", "--insecure",
                 "--port", str(free_port()), env=env)
        cert, tls_key = _self_signed(home)
        tls_port, local_port = free_port(), free_port()
        run_twin("broker", "config", "--output", str(folder), "--host", "0.0.0.0",
                 "--port", str(tls_port), "--local-port", str(local_port),
                 "--certfile", str(cert), "--keyfile", str(tls_key), env=env)
        conf = (folder / "mosquitto.conf").read_text()
        assert f"listener {tls_port} 0.0.0.0\ncertfile {cert}" in conf
        assert f"listener {local_port} 127.0.0.1\n" in conf
        broker = Broker(folder, local_port)
        try:
            broker.wait_listening()
            secret = (folder / "ingester.secret").read_text().strip()
            assert not refused(local_port, INGESTER, secret)
            answered = threading.Event()
            codes: list[mqtt.ReasonCode] = []
            device = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="lamp-tls",
                                 protocol=mqtt.MQTTv311)
            device.tls_set(ca_certs=str(cert))
            device.username_pw_set("lamp-tls", key)
            device.on_connect = lambda c, u, f, code, p: (codes.append(code), answered.set())
            device.connect("127.0.0.1", tls_port)
            device.loop_start()
            assert answered.wait(10) and not codes[0].is_failure
            device.disconnect()
            device.loop_stop()
        finally:
            broker.stop()
            print(broker.logged())
    finally:
        shutil.rmtree(home, ignore_errors=True)
