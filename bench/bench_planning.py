"""Benchmark of the planning roll-ups on the default demo city (scale 1).

    TWIN_HOME=/tmp/twin-bench .venv/bin/python bench/bench_planning.py [--repeat 3]

Uses the twin that TWIN_HOME / TWIN_DATABASE_URL names and builds the demo city there if it
holds no luminaires. Prints, one line each, the best wall time of every roll-up (inventory, age
profile, materials, renewal, lighting energy, programme targets, the choropleth) for the whole
city (``level="city"``), for every ward at once (``level="ward"``) and for one ward
(``ward=...``), the summaries the planning view and the report draw, and a city-wide dimming
what-if with its lighting check, and how many cores other processes kept busy meanwhile. The
target: the whole city's roll-ups together under 2 s. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from ingest.demo import load_demo_city
from simulation import planning
from twin.config import Settings
from twin.database import open_twin
from web.planning_cache import PlanningCache

ROLL_UPS: dict[str, Callable[..., Any]] = {
    "inventory": planning.inventory,
    "age profile": planning.age_profile,
    "materials": planning.materials,
    "renewal (10 years)": planning.renewal,
    "programme targets": planning.programme_targets,
}


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time (s) of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


def _size(result: Any) -> str:
    rows = getattr(result, "by_ward", result)
    return f"{len(rows):,} rows" if hasattr(rows, "__len__") else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engine = open_twin(Settings())
    with engine.connect() as conn:
        empty = conn.execute(text("SELECT count(*) FROM luminaires")).scalar_one() == 0
    if empty:
        load_demo_city(engine, scale=1.0, seed=7)
    busy, cpu, wall = busy_seconds(), time.process_time(), time.perf_counter()
    with engine.connect() as conn:
        report(conn, args.repeat)
    elapsed = time.perf_counter() - wall
    others = (busy_seconds() - busy - (time.process_time() - cpu)) / elapsed
    print(f"meanwhile other processes (the twin's database included) kept {others:.1f} of "
          f"{os.cpu_count()} cores busy: wall times are comparable between runs with the same "
          "figure")


def report(conn: Connection, repeat: int) -> None:
    wards = planning.wards(conn)
    one = str(wards["code"].iloc[len(wards) // 2])
    assets = planning.inventory(conn, "city")["count"].sum()
    print(f"demo city: {len(wards)} wards, {assets:,} assets; one ward: {one} "
          f"({wards.set_index('code').loc[one, 'name']}); best of {repeat}")
    city_total = 0.0
    for name, figure in ROLL_UPS.items():
        city_s, result = timed(lambda f=figure: f(conn, "city"), repeat)
        wards_s, by_ward = timed(lambda f=figure: f(conn, "ward"), repeat)
        ward_s, _ = timed(lambda f=figure: f(conn, "ward", one), repeat)
        city_total += city_s
        print(f"{name:22s} city {city_s:6.3f} s ({_size(result)})   every ward "
              f"{wards_s:6.3f} s ({_size(by_ward)})   one ward {ward_s:6.3f} s")
    city_s, result = timed(lambda: planning.lighting_energy(conn), repeat)
    ward_s, _ = timed(lambda: planning.lighting_energy(conn, ward=one), repeat)
    city_total += city_s
    print(f"{'lighting energy':22s} city and every ward {city_s:6.3f} s ({_size(result)})   "
          f"one ward {ward_s:6.3f} s")
    print(f"whole city's roll-ups together: {city_total:.3f} s (target: under 2 s)")
    for metric in ("count:luminaires", "renewal_cost", "kwh", "fibre_households"):
        seconds, _ = timed(lambda m=metric: planning.choropleth(conn, m), repeat)
        print(f"choropleth {metric:18s} {seconds:6.3f} s")
    city_s, _ = timed(lambda: planning.planning_summary(conn), repeat)
    ward_s, _ = timed(lambda: planning.planning_summary(conn, one), repeat)
    print(f"summary: city {city_s:6.3f} s   one ward {ward_s:6.3f} s")
    cache = PlanningCache()
    cold, _ = timed(lambda: cache.get(conn, ("summary", one), lambda: planning.planning_summary(
        conn, one).to_json()), 1)
    warm, _ = timed(lambda: cache.get(conn, ("summary", one), lambda: {}), repeat)
    print(f"summary of one ward through the view's cache: first {cold:6.3f} s, "
          f"then {warm * 1000:.1f} ms")
    seconds, result = timed(lambda: planning.lighting_energy(
        conn, what_if=planning.EnergyWhatIf(dimming_profile="midnight-50")), 1)
    answer = result.what_if
    print(f"what-if midnight-50 on every luminaire, with the lighting check: {seconds:.2f} s; "
          f"{'saves' if answer['saved_kwh'] >= 0 else 'adds'} {abs(answer['saved_kwh']):,.0f} "
          "kWh/year (every lamp gets the schedule, a leaner one's too), "
          f"{len(answer['failing_roads']):,} of {len(answer['lighting_check']):,} streets "
          f"would fall below their class")


if __name__ == "__main__":
    main()
