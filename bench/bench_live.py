"""Benchmark of live ingest: MQTT → the twin (history and current state), against a naive
ingester that INSERTs each observation and commits each message, on the demo city.

    .venv/bin/python bench/bench_live.py [--scale 1.0] [--observations 600000] [--home DIR]

Runs a private Mosquitto and, unless TWIN_DATABASE_URL is set, a private embedded cluster in a
temporary TWIN_HOME (``--home`` reuses one that holds the demo city). Publishers are separate
processes sending messages of ``--per-message`` observations with QoS 1. Prints, in one run:
sustained observations/s of the twin's ingester and of the naive one, and p50/p99 latency from
publish to committed at a steady rate. Targets (issue 5): ≥ 20,000 obs/s, ≥ 10× naive,
p99 < 250 ms. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the broker helper lives with the tests

import paho.mqtt.client as mqtt  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from ingest.live.mqtt import Broker, MqttIngester, connect_client  # noqa: E402
from tests.live_fixtures import Mosquitto  # noqa: E402
from twin.config import Settings  # noqa: E402
from twin.database import create_engine, database_url, prepare  # noqa: E402


def demo_engine(scale: float, home: Path) -> sa.Engine:
    os.environ.setdefault("TWIN_HOME", str(home))
    engine = create_engine(database_url(Settings()))
    prepare(engine)
    with engine.connect() as conn:
        luminaires = conn.exec_driver_sql("SELECT count(*) FROM luminaires").scalar_one()
    if not luminaires:
        from ingest.demo import load_demo_city

        started = time.perf_counter()
        load_demo_city(engine, scale=scale, seed=7)
        print(f"demo city (scale {scale:g}) built in {time.perf_counter() - started:.0f} s")
    return engine


def bench_assets(engine: sa.Engine) -> list[tuple[str, str, float, float]]:
    """(asset id, property, low, high): every luminaire's output level and every sensor's
    pressure: some 13,000 assets at scale 1."""
    with engine.connect() as conn:
        lamps = conn.exec_driver_sql("SELECT id FROM luminaires ORDER BY id").scalars().all()
        sensors = conn.exec_driver_sql("SELECT id FROM sensors ORDER BY id").scalars().all()
    return ([(a, "illuminance_level", 0.0, 1.0) for a in lamps]
            + [(a, "pressure", 200.0, 400.0) for a in sensors])


def reset(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE live_history, live_current, live_dead_letters")


def publisher(broker: Broker, assets: list, first: int, messages: int, per_message: int,
              rate_msgs: float | None, done: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    """Publish ``messages`` messages; each entry's time is its publish time (plus a microsecond
    per entry, so that every observation is distinct). ``rate_msgs``: messages/s, None: flat out."""
    client = connect_client(broker, f"bench-pub-{uuid.uuid4().hex[:8]}", persistent=False)
    started = time.monotonic()
    pending = []
    k = first
    for m in range(messages):
        now = time.time()
        entries = []
        for i in range(per_message):
            asset, prop, low, high = assets[k % len(assets)]
            k += 1
            at = datetime.fromtimestamp(now + i * 1e-6, UTC).isoformat()
            entries.append({"asset_id": asset, "property": prop,
                            "value": round(low + (high - low) * ((k * 7919) % 1000) / 1000, 3),
                            "time": at})
        pending.append(client.publish("twin/observations/bench",
                                      json.dumps({"observations": entries}), qos=1))
        if len(pending) >= 200:
            for info in pending:
                info.wait_for_publish(60)
            pending.clear()
        if rate_msgs is not None:
            ahead = (m + 1) / rate_msgs - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    for info in pending:
        info.wait_for_publish(60)
    client.loop_stop()
    client.disconnect()
    done.set()


def publish(broker: Broker, assets: list, total: int, per_message: int, processes: int,
            rate_obs: float | None = None) -> list[multiprocessing.Process]:
    messages = total // per_message // processes
    rate = rate_obs / per_message / processes if rate_obs else None
    procs = []
    for p in range(processes):
        proc = multiprocessing.Process(target=publisher, args=(
            broker, assets, p * messages * per_message, messages, per_message, rate,
            multiprocessing.Event()))
        proc.start()
        procs.append(proc)
    return procs


class Tally:
    """Observations committed over time, and publish → commit latencies (s)."""

    def __init__(self) -> None:
        self.committed = 0
        self.first: float | None = None
        self.last = 0.0
        self.latencies: list[float] = []
        self.lock = threading.Lock()

    def add(self, observations: int, publish_times: list[float]) -> None:
        now = time.time()
        with self.lock:
            self.committed += observations
            self.first = self.first or now
            self.last = now
            self.latencies += [now - t for t in publish_times]

    def rate(self) -> float:
        return self.committed / max(self.last - (self.first or self.last), 1e-9)


def _publish_time(payload: bytes) -> float:
    start = payload.index(b'"time": "') + 9
    return datetime.fromisoformat(payload[start:payload.index(b'"', start)].decode()).timestamp()


def run_twin_ingester(engine: sa.Engine, broker: Broker, assets: list, total: int,
                      per_message: int, processes: int, rate_obs: float | None) -> Tally:
    tally = Tally()
    ingester = MqttIngester(engine, broker.url, client_id=f"bench-twin-{uuid.uuid4().hex[:6]}",
                            batch_messages=200, max_delay_s=0.02)
    ingester.on_batch = lambda result, batch: tally.add(
        result.stored, [_publish_time(m.payload) for m in batch])
    worker = threading.Thread(target=ingester.run)
    worker.start()
    ingester.ready.wait(10)
    procs = publish(broker, assets, total, per_message, processes, rate_obs)
    expected = total // per_message // processes * per_message * processes
    deadline = time.monotonic() + 600
    while tally.committed < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    for proc in procs:
        proc.join()
    ingester.stop.set()
    worker.join()
    forget_session(broker, ingester.client_id)
    return tally


def forget_session(broker: Broker, client_id: str) -> None:
    """End a persistent session, so the broker stops keeping messages for it."""
    client = connect_client(broker, client_id, persistent=False)
    client.loop_stop()
    client.disconnect()


def run_naive_ingester(engine: sa.Engine, broker: Broker, assets: list, seconds: float,
                       per_message: int) -> Tally:
    """The usual first ingester: for each observation one INSERT into the history and one upsert
    of the current state, each committed on its own (as if every observation were its own
    message); the message is acknowledged after its last commit."""
    tally = Tally()
    conn = engine.raw_connection()
    history = ("INSERT INTO live_history (asset_id, property, observed_at, value, unit) "
               "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")
    current = ("INSERT INTO live_current (asset_id, property, observed_at, value, unit) "
               "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (asset_id, property) DO UPDATE SET "
               "observed_at = excluded.observed_at, value = excluded.value "
               "WHERE live_current.observed_at < excluded.observed_at")

    def on_message(client: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        doc = json.loads(message.payload)
        with conn.cursor() as cur:
            for o in doc["observations"]:
                row = (o["asset_id"], o["property"], o["time"], o["value"], None)
                cur.execute(history, row)
                cur.execute(current, row)
                conn.commit()
        client.ack(message.mid, message.qos)
        tally.add(len(doc["observations"]), [_publish_time(message.payload)])

    def setup(client: mqtt.Client) -> None:
        client.on_message = on_message
        client.on_connect = lambda c, *_: c.subscribe("twin/#", qos=1)

    client_id = f"bench-naive-{uuid.uuid4().hex[:6]}"
    client = connect_client(broker, client_id, persistent=True, manual_ack=True, setup=setup)
    time.sleep(0.5)
    procs = publish(broker, assets, int(seconds * 5000), per_message, 1)
    time.sleep(seconds)
    client.loop_stop()
    client.disconnect()
    for proc in procs:
        proc.terminate()
        proc.join()
    conn.close()
    forget_session(broker, client_id)
    return tally


def best_of(work, repeat: int = 3) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def time_travel(engine: sa.Engine) -> None:
    """How quickly the time slider gets the city's state, on the history just ingested."""
    from twin.live import asset_history, current_device_states, state_at

    with engine.connect() as conn:
        first, last, rows = conn.exec_driver_sql(
            "SELECT min(observed_at), max(observed_at), count(*) FROM live_history").one()
        middle = first + (last - first) / 2
        lon, lat = conn.exec_driver_sql(
            "SELECT ST_X(ST_Centroid(ST_Collect(geom))), ST_Y(ST_Centroid(ST_Collect(geom))) "
            "FROM luminaires").one()
        asset = conn.exec_driver_sql("SELECT asset_id FROM live_current LIMIT 1").scalar_one()
        figures = {
            "state_at(now), whole city": lambda: state_at(conn),
            "state_at(T in the past), whole city": lambda: state_at(conn, middle),
            "state_at(T), 1 km box": lambda: state_at(conn, middle, bbox=(
                lon - 0.005, lat - 0.0045, lon + 0.005, lat + 0.0045)),
            "current_device_states(at=T)": lambda: current_device_states(conn, middle),
            "asset_history(one asset)": lambda: asset_history(conn, asset),
        }
        print(f"time travel over {rows:,} observations:")
        for name, work in figures.items():
            seconds, result = best_of(work)
            size = len(getattr(result, "dimmed", result))  # type: ignore[arg-type]
            print(f"  {name}: {seconds * 1000:.0f} ms ({size:,} rows)")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--observations", type=int, default=600_000)
    parser.add_argument("--per-message", type=int, default=200)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--naive-seconds", type=float, default=15.0)
    parser.add_argument("--latency-rate", type=float, default=20_000.0,
                        help="observations/s of the steady phase that measures latency")
    parser.add_argument("--home", type=Path, help="TWIN_HOME to reuse (default: a temporary one)")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="twin-bench-live-"))
    home.chmod(0o755)
    broker_dir = Path(tempfile.mkdtemp(prefix="twin-bench-mosquitto-"))
    broker_dir.chmod(0o755)
    mosquitto = Mosquitto(broker_dir)
    broker = mosquitto.start()
    try:
        engine = demo_engine(args.scale, home / ".twin" if not args.home else home)
        assets = bench_assets(engine)
        print(f"{len(assets):,} assets report; {args.per_message} observations per message, "
              f"{args.publishers} publisher processes, QoS 1")
        reset(engine)
        flat = run_twin_ingester(engine, broker, assets, args.observations, args.per_message,
                                 args.publishers, None)
        print(f"twin ingester, flat out: {flat.committed:,} observations in "
              f"{flat.last - (flat.first or flat.last):.1f} s = {flat.rate():,.0f} obs/s "
              "(history and current state)")
        time_travel(engine)
        for rate in (args.latency_rate, args.latency_rate / 2):  # the target, and well below it
            reset(engine)
            steady = run_twin_ingester(engine, broker, assets, int(rate * 15), args.per_message,
                                       args.publishers, rate)
            print(f"twin ingester at {rate:,.0f} obs/s offered: {steady.rate():,.0f} obs/s "
                  f"committed; publish→commit latency p50 {pct(steady.latencies, 50) * 1000:.0f} "
                  f"ms, p99 {pct(steady.latencies, 99) * 1000:.0f} ms over "
                  f"{len(steady.latencies):,} messages")
        reset(engine)
        naive = run_naive_ingester(engine, broker, assets, args.naive_seconds, args.per_message)
        print(f"naive ingester (INSERT and commit per observation): {naive.committed:,} "
              f"observations in {args.naive_seconds:.0f} s = {naive.rate():,.0f} obs/s")
        print(f"speed-up over naive: {flat.rate() / max(naive.rate(), 1e-9):.1f}x")
        print("targets: >= 20,000 obs/s, >= 10x naive, p99 < 250 ms")
        engine.dispose()
    finally:
        mosquitto.stop()
        shutil.rmtree(broker_dir, ignore_errors=True)
        if not args.home and not os.environ.get("TWIN_DATABASE_URL"):
            from twin.cluster import EmbeddedCluster

            EmbeddedCluster(home / ".twin").stop()
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
