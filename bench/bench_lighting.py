"""Benchmark of the street-lighting calculation on the default demo city (scale 1).

    TWIN_HOME=/tmp/twin-bench .venv/bin/python bench/bench_lighting.py [--repeat 3] [--streets 20]

Uses the twin that TWIN_HOME / TWIN_DATABASE_URL names and builds the demo city there if it
holds no luminaires. Prints, one line each: the whole city's calculation (every lit road, every
luminaire; with and without trees and footways, and on one thread; wall and CPU time), the
end-to-end run_lighting, a one-lamp what-if on one street, the largest deviation from the
brute-force reference (every luminaire to every grid point, no reach cut-off) on a sample of
streets, and how many cores other processes (the twin's database included) kept busy meanwhile:
on shared cores the wall times are only comparable between runs with the same figure.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ingest.demo import load_demo_city
from simulation.lighting import Study, run_lighting, study_lighting
from simulation.lighting.calculation import Chunking
from simulation.lighting.study import road_figures
from twin.city import BAC_GIANG
from twin.config import Settings
from twin.database import open_twin
from twin.read import read_layer


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best wall time and the CPU time of that run (s), and its result."""
    best = (np.inf, np.inf, None)
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        run = (time.perf_counter() - wall, time.process_time() - cpu, result)
        best = min(best, run, key=lambda r: r[0])
    return best


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--streets", type=int, default=20)
    args = parser.parse_args()
    engine = open_twin(Settings())
    start_busy, start_cpu, start_wall = busy_seconds(), time.process_time(), time.perf_counter()
    if len(read_layer(engine, "luminaires", columns=[])) == 0:
        load_demo_city(engine, scale=1.0, seed=7)
    crs = BAC_GIANG.metric_crs
    wall, _, (roads, lamps, trees) = timed(lambda: (
        read_layer(engine, "roads", crs=crs), read_layer(engine, "luminaires", crs=crs),
        read_layer(engine, "trees", crs=crs)), 1)
    roads = roads[roads["lit"].fillna(False).astype(bool)]
    print(f"read: {len(roads):,} lit roads, {len(lamps):,} luminaires, {len(trees):,} trees "
          f"in {wall:.2f} s")
    threads = Chunking().threads
    print(f"{threads} calculation threads on {os.cpu_count()} cores")
    carriageways = roads.drop(columns="footway_width_m")
    for label, tree_frame, surfaces, n_threads in (
            ("carriageways and footways, with trees", trees, roads, threads),
            ("carriageways and footways, with trees, one thread", trees, roads, 1),
            ("carriageways and footways, without trees", None, roads, threads),
            ("carriageways only, with trees", trees, carriageways, threads)):
        def whole(t: pd.DataFrame | None = tree_frame, r: pd.DataFrame = surfaces,
                  n: int = n_threads) -> Study:
            return study_lighting(lamps, r, t, chunking=Chunking(threads=n))

        wall, cpu, study = timed(whole, args.repeat)
        print(f"whole city {label}: {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"({len(study.E):,} grid points; best of {args.repeat})")
    wall, cpu, _ = timed(lambda: run_lighting(engine, live=False), 1)
    print(f"run_lighting end to end (read, compute, figures, dark spots, pruning list): "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU")
    what_if(lamps, roads, trees, args.repeat)
    deviation(lamps, roads, args.streets)
    others = (busy_seconds() - start_busy - (time.process_time() - start_cpu)) / (
        time.perf_counter() - start_wall)
    print(f"other processes kept {others:.1f} of {os.cpu_count()} cores busy on average "
          "during the bench")


def what_if(lamps: pd.DataFrame, roads: pd.DataFrame, trees: pd.DataFrame, repeat: int) -> None:
    """One luminaire fails: recompute the points in its reach and the figures of the roads."""
    study = study_lighting(lamps, roads, trees)
    lamp = lamps.index[len(lamps) // 2]

    def one() -> pd.DataFrame:
        after = study.with_output({lamp: 0.0})
        return after.figures()

    wall, cpu, figures = timed(one, max(repeat, 5))
    road = lamps.loc[lamp, "road_id"]
    before = study.figures().loc[road, "eav"]
    print(f"one-lamp what-if ({lamp} off, with trees): {wall * 1000:.0f} ms wall, "
          f"{cpu * 1000:.0f} ms CPU; its road {road}: Eav {before:.2f} -> "
          f"{figures.loc[road, 'eav']:.2f} lx")


def deviation(lamps: pd.DataFrame, roads: pd.DataFrame, streets: int) -> None:
    """Reach-limited sum against every luminaire at every grid point of sampled streets
    (trees left out: the brute force would test every crown against 10⁸ rays)."""
    study = study_lighting(lamps, roads)
    rng = np.random.default_rng(11)
    sample = rng.choice(len(roads), streets, replace=False)
    points = np.flatnonzero(np.isin(study.grid.road, sample))
    start = time.perf_counter()
    reference = study.scene.brute_force(study.output, points)
    took = time.perf_counter() - start
    road, surface = study.grid.road[points], study.grid.surface[points]
    fast = road_figures(road, study.E[points], roads, surface)
    slow = road_figures(road, reference, roads, surface)
    worst = {k: float(np.nanmax(np.abs(fast[k] / slow[k] - 1))) for k in ("eav", "emin", "u0")}
    point = float(np.max(np.abs(study.E[points] / reference - 1)))
    print(f"deviation from brute force on {streets} streets ({len(points):,} points, "
          f"{len(lamps):,} luminaires each, {took:.0f} s): max per point {point:.3%}, "
          f"Eav {worst['eav']:.3%}, Emin {worst['emin']:.3%}, U0 {worst['u0']:.3%}")


if __name__ == "__main__":
    main()
