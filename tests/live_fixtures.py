"""A real Mosquitto broker for tests (and benchmarks): a private configuration on a free port,
persistence on, so QoS 1 messages queued for a persistent session survive until it comes back.

    from tests.live_fixtures import mqtt_broker  # noqa: F401

``mqtt_broker`` yields an :class:`ingest.live.mqtt.Broker` (host, port, url).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.live.mqtt import Broker

MOSQUITTO = Path("/usr/sbin/mosquitto")
CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {folder}/
autosave_interval 1
max_queued_messages 0
max_inflight_messages 1000
log_dest file {folder}/mosquitto.log
"""


class Mosquitto:
    """A mosquitto process in its own folder, on a free port of 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        if not MOSQUITTO.exists():
            raise RuntimeError(f"{MOSQUITTO} is missing: install the Debian package 'mosquitto'")
        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.broker = Broker("127.0.0.1", port)
        (folder / "mosquitto.conf").write_text(CONFIG.format(port=port, folder=folder))
        if os.geteuid() == 0:  # mosquitto drops root for its own user, who must write here
            user = pwd.getpwnam("mosquitto")
            for path in (folder, folder / "mosquitto.conf"):
                os.chown(path, user.pw_uid, user.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Broker:
        self.process = subprocess.Popen([str(MOSQUITTO), "-c", str(self.folder / "mosquitto.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode()  # type: ignore[union-attr]
                raise RuntimeError(f"mosquitto exited: {error}")
            try:
                socket.create_connection((self.broker.host, self.broker.port), timeout=0.2).close()
                return self.broker
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None


@pytest.fixture
def mqtt_broker() -> Iterator[Broker]:
    """A private mosquitto for one test; stopped and removed after it."""
    folder = Path(tempfile.mkdtemp(prefix="twin-mosquitto-"))
    folder.chmod(0o755)
    mosquitto = Mosquitto(folder)
    try:
        yield mosquitto.start()
    finally:
        mosquitto.stop()
        shutil.rmtree(folder, ignore_errors=True)
