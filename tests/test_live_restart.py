"""A PostgreSQL restart in the middle of MQTT ingest loses nothing and duplicates nothing:
published entries = stored observations + dead letters, exactly. Runs on a cluster of its own
(the session's cluster is shared by other tests)."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.demo import load_demo_city
from ingest.live.mqtt import connect_client
from tests.test_live_ingest import count, ingesting, sensor_ids, wait_for
from twin.cluster import EmbeddedCluster
from twin.database import create_engine, prepare


@pytest.fixture
def own_cluster():
    home = Path(tempfile.mkdtemp(prefix="twin-live-restart-"))
    home.chmod(0o755)
    cluster = EmbeddedCluster(home / ".twin")
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_a_database_restart_during_ingest_loses_nothing(own_cluster, mqtt_broker):
    engine = create_engine(own_cluster.url())
    prepare(engine)
    load_demo_city(engine, scale=0.01, seed=7)
    sensors = sensor_ids(engine, 30)
    start = datetime.now(UTC) - timedelta(hours=2)
    published = {"good": 0, "bad": 0}
    restarted = threading.Event()
    retries = []

    def publisher() -> None:
        client = connect_client(mqtt_broker, "publisher-restart", persistent=False)
        m = 0
        while not restarted.is_set() or m < 300:
            entries = [{"asset_id": sensors[(m * 5 + i) % len(sensors)], "property": "pressure",
                        "value": 250.0 + i, "time": (start + timedelta(seconds=m * 5 + i)).isoformat()}
                       for i in range(5)]
            if m % 10 == 0:
                entries[2]["value"] = 99999.0  # out of its physical range: a dead letter
                published["bad"] += 1
            published["good"] += len(entries) - (m % 10 == 0)
            client.publish("twin/observations/restart", json.dumps({"observations": entries}),
                           qos=1).wait_for_publish(10)
            m += 1
            time.sleep(0.01)
        client.loop_stop()
        client.disconnect()

    with ingesting(engine, mqtt_broker, "ingester-restart") as ingester:
        ingester.on_batch = lambda result, _batch: retries.append(result.retries)
        sender = threading.Thread(target=publisher)
        sender.start()
        wait_for(lambda: count(engine, "live_history") > 100)
        own_cluster.stop()
        time.sleep(2)
        own_cluster.start()
        restarted.set()
        sender.join(120)
        assert not sender.is_alive()
        total = published["good"] + published["bad"]
        wait_for(lambda: count(engine, "live_history") + count(engine, "live_dead_letters") >= total)
        time.sleep(1)  # anything more would be a duplicate
    assert sum(retries) > 0, "no batch met the restart: the test did not test it"
    assert count(engine, "live_history") == published["good"]
    assert count(engine, "live_dead_letters") == published["bad"]
    engine.dispose()
