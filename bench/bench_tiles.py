"""Vector-tile throughput and latency of the twin's server and of tipg, on the same tables of the
same database, for the same tiles, at the same concurrency, both asked with
``Accept-Encoding: gzip`` as browsers send it.

    .venv/bin/python bench/bench_tiles.py [--scale 1] [--concurrency 8] [--workers 1]

The demo city is built once in its own TWIN_HOME (``bench/out/tiles-home`` unless TWIN_HOME is
set). Tiles: every WebMercatorQuad tile over the city at zooms 12-16, for roads, buildings,
luminaires, water pipes and trees. Both servers run as uvicorn processes with ``--workers``
workers; tipg gets the same tile buffer (64) and the same columns (``?properties=``), and no cap
on features per tile. The database's cache is warmed first (a tipg pass). Our server is measured
twice from a fresh start: "ours cold" with nothing made ahead (``TWIN_TILE_SEED_MAX_ZOOM=-1``:
every tile made by PostGIS on its first request, as tipg makes every tile), and "ours" as it runs
by default, once it has made the map layers' tiles at zooms 10-14 ahead (``web.tile_seed``; the
time that took is printed) and makes zooms 15-16 on request. "ours warm" asks the same tiles again
with the data unchanged (all from memory after the data-version check), then again while
``twin feed`` posts the demo city's live feed to the same server (``--feed-rate`` observations
per second): live writes touch no table a tile is made from, so the tiles stay cached. "ours new
token" asks 8 of the tiles made ahead at once with a token the server has not seen, 20 times (a
new token each time: what a map's burst meets when its token's 30 s entry in the credential
cache has run out), and prints the slowest of the 8 per round. The client is the standard
library's, one thread and kept-alive connection per concurrent request, so that it takes
little CPU from the servers. Our server is asked with an admin's API token (a user ``bench-admin``
and a token valid for a day, made in the bench's twin each run) so its figures include the
credential check; the feed posts with a device key made for the run and revoked after it; tipg
is asked with no credentials. Prints one line per server and zoom, then totals; asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import morecantile
import numpy as np
from sqlalchemy import func, select, text

from ingest.demo import load_demo_city
from ingest.live.feed import DEMO_FEED_TOPICS
from twin import auth, devices
from twin.config import Settings
from twin.database import create_engine, database_url, open_twin
from web.collections import get_collection

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("roads", "buildings", "luminaires", "water_pipes", "trees")
ZOOMS = range(12, 17)
TMS = morecantile.tms.get("WebMercatorQuad")


@dataclass(frozen=True)
class Request:
    layer: str
    z: int
    x: int
    y: int


@dataclass(frozen=True)
class Run:
    latencies_s: dict[int, list[float]]
    wall_s: float
    bytes: int
    errors: int

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies_s.values())


def city(scale: float) -> tuple[Settings, tuple[float, float, float, float]]:
    """The benchmark's twin (built when empty) and the city's extent (lon/lat)."""
    home = Path(os.environ.get("TWIN_HOME", REPO / "bench" / "out" / "tiles-home"))
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o755)
    settings = Settings(home=home)
    engine = open_twin(settings)
    table = get_collection("roads").table
    with engine.connect() as conn:
        roads = conn.execute(select(func.count()).select_from(table)).scalar_one()
    if roads == 0:
        print(f"building the demo city (scale {scale}) in {home}", flush=True)
        load_demo_city(engine, scale=scale, seed=7, replace=True)
    with engine.connect() as conn:
        box = conn.execute(select(func.ST_XMin(func.ST_Extent(table.c.geom)),
                                  func.ST_YMin(func.ST_Extent(table.c.geom)),
                                  func.ST_XMax(func.ST_Extent(table.c.geom)),
                                  func.ST_YMax(func.ST_Extent(table.c.geom)))).one()
    engine.dispose()
    return settings, tuple(box)  # type: ignore[return-value]


BENCH_USER = "bench-admin"


def admin_token(settings: Settings) -> str:
    """An API token of the bench's admin (made the first time), valid for a day."""
    engine = create_engine(database_url(settings))
    try:
        with engine.begin() as conn:
            if not auth.user_exists(conn, BENCH_USER):
                auth.create_user(conn, BENCH_USER, "admin", actor="bench")
            return auth.create_token(conn, BENCH_USER, "bench_tiles.py", actor="bench",
                                     expires_at=datetime.now(UTC) + timedelta(days=1))
    finally:
        engine.dispose()


@contextmanager
def device_key(settings: Settings) -> Iterator[str]:
    """A device key allowed the demo feed's topics, for this run; revoked after it."""
    name = f"bench-feed-{os.getpid()}-{int(time.time())}"
    engine = create_engine(database_url(settings))
    try:
        with engine.begin() as conn:
            key = devices.create_device(conn, name, DEMO_FEED_TOPICS, actor="bench")
        yield key
    finally:
        with engine.begin() as conn:
            devices.revoke_device(conn, name, actor="bench")
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tile_list(bbox: tuple[float, float, float, float]) -> list[Request]:
    return [Request(layer, t.z, t.x, t.y) for layer in LAYERS
            for t in TMS.tiles(*bbox, zooms=list(ZOOMS))]


def seeded(base: str, headers: dict[str, str]) -> dict[str, Any]:
    """Wait until the server has made its tiles ahead; what ``/api/tiles/cache`` then says
    (with ``--workers N``, of the worker that answers)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        answer = httpx.get(f"{base}/api/tiles/cache", headers=headers, timeout=10)
        answer.raise_for_status()
        status = answer.json()
        if status["seeding"]["state"] == "ready":
            return status  # type: ignore[no-any-return]
        time.sleep(0.5)
    raise RuntimeError("the server did not finish making its tiles ahead in 10 minutes")


@contextmanager
def server(args: list[str], env: dict[str, str], probe: str,
           headers: dict[str, str] | None = None) -> Iterator[None]:
    """A uvicorn process, up when ``probe`` (asked with ``headers``) answers 200; stopped on
    exit."""
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", *args, "--log-level", "warning"],
                               cwd=REPO, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(probe, headers=headers, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn {args[0]} did not start")
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def live_feed(base: str, settings: Settings, rate: float, key: str) -> Iterator[None]:
    """``twin feed`` posting to the server at ``rate`` observations per second with the device
    ``key``, for a while; prints how many observations the twin committed meanwhile."""
    engine = create_engine(database_url(settings))
    history = text("SELECT count(*) FROM live_history")
    feed = subprocess.Popen([sys.executable, "-m", "twin.cli", "feed", "--rate", str(rate),
                             "--url", f"{base}/api/live"],
                            env={**os.environ, "TWIN_HOME": str(settings.home),
                                 "TWIN_DEVICE_KEY": key},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)  # under way
        if feed.poll() is not None:
            error = feed.stderr.read() if feed.stderr else ""
            raise RuntimeError(f"twin feed stopped at once: {error.strip()}")
        with engine.connect() as conn:
            before, start = conn.execute(history).scalar_one(), time.perf_counter()
        yield
        with engine.connect() as conn:
            committed = conn.execute(history).scalar_one() - before
        print(f"live feed during the pass: {committed:,} observations committed, "
              f"{committed / (time.perf_counter() - start):,.0f}/s", flush=True)
    finally:
        feed.terminate()
        feed.wait(timeout=30)
        if feed.stderr is not None:
            feed.stderr.close()
        engine.dispose()


def fetch_all(urls: list[tuple[int, str]], concurrency: int,
              headers: dict[str, str] | None = None) -> Run:
    """Every URL once with ``headers`` (credentials), ``concurrency`` at a time (one thread and
    one kept-alive connection each); latency per zoom (s), total wall time. The standard
    library's client, which spends
    ~0.15 ms of CPU a request where httpx spent ~1.3: on a small machine the client's CPU
    is taken from the servers measured."""
    latencies: dict[int, list[float]] = {z: [] for z in ZOOMS}
    todo: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()
    for item in urls:
        todo.put(item)
    size = errors = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal size, errors
        connection: http.client.HTTPConnection | None = None
        while True:
            try:
                z, url = todo.get_nowait()
            except queue.Empty:
                break
            parts = urlsplit(url)
            if connection is None:
                connection = http.client.HTTPConnection(parts.netloc, timeout=120)
            start = time.perf_counter()
            target = f"{parts.path}?{parts.query}" if parts.query else parts.path
            connection.request("GET", target, headers={"Accept-Encoding": "gzip", **(headers or {})})
            answer = connection.getresponse()
            body = answer.read()  # as sent: the client does not unzip
            elapsed = time.perf_counter() - start
            with lock:
                latencies[z].append(elapsed)
                size += len(body)
                errors += answer.status != 200
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(latencies, time.perf_counter() - start, size, errors)


def new_token_bursts(base: str, settings: Settings, requests: list[Request],
                     rounds: int = 20) -> None:
    """8 tiles made ahead asked at once, each round with a token the server has not cached yet;
    prints the slowest of the 8 per round (median and p90)."""
    burst = [(r.z, ours_url(base, r)) for r in requests if r.z == 12][:8]
    slowest = []
    for _ in range(rounds):
        token = {"Authorization": f"Bearer {admin_token(settings)}"}
        run = fetch_all(burst, len(burst), token)
        slowest.append(max(max(v) for v in run.latencies_s.values() if v) * 1000)
    print(f"ours new token: {len(burst)} tiles at once, {rounds} rounds: slowest of the "
          f"{len(burst)} median {np.median(slowest):.1f} ms, p90 {np.percentile(slowest, 90):.1f} "
          f"ms", flush=True)


def ours_url(base: str, r: Request) -> str:
    return f"{base}/collections/{r.layer}/tiles/WebMercatorQuad/{r.z}/{r.x}/{r.y}"


def tipg_url(base: str, r: Request) -> str:
    columns = ",".join(["id", *(c.name for c in get_collection(r.layer).plain_columns)])
    return (f"{base}/collections/public.{r.layer}/tiles/WebMercatorQuad/{r.z}/{r.x}/{r.y}"
            f"?properties={columns}")


def report(name: str, run: Run) -> None:
    for z, values in run.latencies_s.items():
        ms = np.array(values) * 1000
        print(f"{name:9} z{z}: {len(values):4} tiles  p50 {np.percentile(ms, 50):7.1f} ms  "
              f"p99 {np.percentile(ms, 99):7.1f} ms")
    every = np.concatenate([np.array(v) for v in run.latencies_s.values()]) * 1000
    print(f"{name:9} all: {run.count} tiles in {run.wall_s:.2f} s = "
          f"{run.count / run.wall_s:.1f} tiles/s  p50 {np.percentile(every, 50):.1f} ms  "
          f"p99 {np.percentile(every, 99):.1f} ms  {run.bytes / 1e6:.1f} MB gzip  "
          f"errors {run.errors}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--feed-rate", type=float, default=500.0,
                        help="live observations per second during the last pass")
    args = parser.parse_args()
    settings, bbox = city(args.scale)
    requests = tile_list(bbox)
    print(f"{len(requests)} tiles ({', '.join(LAYERS)}; zooms 12-16), concurrency "
          f"{args.concurrency}, {args.workers} uvicorn worker(s) per server", flush=True)
    url = database_url(settings).replace("postgresql+psycopg://", "postgresql://", 1)
    ours_port, tipg_port = free_port(), free_port()
    ours, tipg = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{tipg_port}"
    tipg_env = {"DATABASE_URL": url, "TIPG_TILE_BUFFER": "64",
                "TIPG_MAX_FEATURES_PER_TILE": "10000000", "TIPG_DB_SCHEMAS": '["public"]'}
    workers = ["--workers", str(args.workers)]
    ours_args = ["web.server:app_from_environment", "--factory", "--port", str(ours_port),
                 *workers]
    ours_urls = [(r.z, ours_url(ours, r)) for r in requests]
    token = {"Authorization": f"Bearer {admin_token(settings)}"}
    tipg_urls = [(r.z, tipg_url(tipg, r)) for r in requests]
    with server(["tipg.main:app", "--port", str(tipg_port), *workers], tipg_env,
                f"{tipg}/collections/public.roads"):
        fetch_all(tipg_urls, args.concurrency)  # warm the database's cache
        with server(ours_args, {"TWIN_HOME": str(settings.home), "TWIN_TILE_SEED_MAX_ZOOM": "-1"},
                    f"{ours}/conformance", token):
            report("ours cold", fetch_all(ours_urls, args.concurrency, token))
        report("tipg", fetch_all(tipg_urls, args.concurrency))
    with server(ours_args, {"TWIN_HOME": str(settings.home)}, f"{ours}/conformance", token):
        status = seeded(ours, token)
        seeding = status["seeding"]
        print(f"ours made {seeding['tiles']} tiles of zooms {seeding['zooms']} ahead in "
              f"{seeding['seconds']} s ({status['bytes'] / 1e6:.0f} MB in memory)", flush=True)
        report("ours", fetch_all(ours_urls, args.concurrency, token))
        report("ours warm", fetch_all(ours_urls, args.concurrency, token))
        with device_key(settings) as key, live_feed(ours, settings, args.feed_rate, key):
            report("ours fed", fetch_all(ours_urls, args.concurrency, token))
        new_token_bursts(ours, settings, requests)

if __name__ == "__main__":
    main()
