"""Benchmark of the network simulations on the default demo city (scale 1, seed 7).

    .venv/bin/python bench/bench_outage.py [--samples 200] [--home /tmp/twin-bench-outage]

Builds the demo city in its own TWIN_HOME the first time (reused after), then prints: the
snapshot's load time; one outage what-if (a power line, transformer or switch with its whole
cascade, isolation and restoration), median over ``--samples`` elements; the same what-if's power
part with networkx (remove the element, search from the sources) and ours on that same work
(``snap.dead_nodes``), both checked to give the what-if's dead nodes, with the speed-up;
criticality of every element of each network; and a networkx N-1 loop on a sample, extrapolated
to the whole power network, against our power criticality. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import networkx as nx

TARGETS = {"what-if": 0.050, "power criticality": 2.0}
TARGET_SPEED_UP = 20


def seconds(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def median_and_agreement(work: Callable[[int], Any], answers: dict[int, Any]
                         ) -> tuple[float, int]:
    """Median time (s) of ``work(e)`` over the keys of ``answers``, and how many of its results
    equal ``answers[e]``."""
    times, same = [], 0
    for e, answer in answers.items():
        took, result = seconds(lambda e=e: work(e))
        times.append(took)
        same += result == answer
    return statistics.median(times), same


def networkx_dead(graph: nx.MultiGraph, sources: list[str], u: str, v: str, key: str) -> set[str]:
    """Nodes without a source once edge (u, v, key) is out: networkx's answer to the what-if."""
    if not graph.has_edge(u, v, key):   # a normally open tie: nothing changes
        return set(graph.nodes) - _supplied(graph, sources)
    data = graph.edges[u, v, key]
    graph.remove_edge(u, v, key)
    try:
        return set(graph.nodes) - _supplied(graph, sources)
    finally:
        graph.add_edge(u, v, key, **data)


def _supplied(graph: nx.MultiGraph, sources: list[str]) -> set[str]:
    supplied: set[str] = set()
    for source in sources:
        if source not in supplied:
            supplied |= nx.node_connected_component(graph, source)
    return supplied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--home", default=os.environ.get("TWIN_HOME", "/tmp/twin-bench-outage"))
    args = parser.parse_args()
    os.environ["TWIN_HOME"] = args.home

    from ingest.demo import load_demo_city
    from simulation.criticality import network_criticality
    from simulation.snapshot import load_snapshot
    from twin.config import Settings
    from twin.database import open_twin
    from twin.read import read_network
    from twin.stats import twin_stats

    settings = Settings()
    engine = open_twin(settings)
    with engine.connect() as conn:
        assets = twin_stats(conn)["assets"]
    if assets == 0:
        took, _ = seconds(lambda: load_demo_city(engine, scale=1.0, seed=7,
                                                 shared_data=settings.shared_data_dir()))
        print(f"demo city built (scale 1, seed 7): {took:.1f} s")
    with engine.connect() as conn:
        print(f"twin: {twin_stats(conn)['assets']:,} assets in {args.home}")

    took, snap = seconds(lambda: load_snapshot(engine, live=True))
    print(f"snapshot load (5 networks, live state): {took:.2f} s")

    power = snap.networks["power"]
    candidates = [e for e in range(power.m) if power.edge_asset[e] is not None
                  and power.edge_kind[e] in ("line", "cable", "transformer", "switch")]
    picked = random.Random(7).sample(candidates, min(args.samples, len(candidates)))
    ours, answers = [], {}
    for e in picked:
        took, result = seconds(lambda e=e: snap.outage([power.edge_asset[e]]))
        ours.append(took)
        answers[e] = result.dead_nodes["power"]
    ours_median = statistics.median(ours)
    print(f"one outage what-if (cascade, isolation, restoration), median of {len(picked)}: "
          f"{ours_median * 1000:.1f} ms (target < {TARGETS['what-if'] * 1000:.0f} ms)")

    network = read_network(engine, "power")
    took, graph = seconds(lambda: network.to_networkx(normal_state=True))
    print(f"networkx graph of the power network built: {took:.2f} s (not counted below)")
    ends = network.edges[["from_node", "to_node"]]
    edge_of = {e: (*ends.loc[power.edge_ids[e]].tolist(), power.edge_ids[e]) for e in picked}
    theirs_median, same = median_and_agreement(
        lambda e: networkx_dead(graph, network.sources, *edge_of[e]), answers)
    print(f"networkx, the same what-if's power part only (dead nodes), median of {len(picked)}: "
          f"{theirs_median * 1000:.1f} ms; same dead nodes in {same}/{len(picked)}; "
          f"the whole what-if is {theirs_median / ours_median:.1f}x as fast")
    alone_median, same = median_and_agreement(
        lambda e: snap.dead_nodes([power.edge_asset[e]])["power"], answers)
    print(f"ours on the same work as networkx (snap.dead_nodes), median of {len(picked)}: "
          f"{alone_median * 1000:.2f} ms; same dead nodes in {same}/{len(picked)}; "
          f"{theirs_median / alone_median:.0f}x as fast (target >= {TARGET_SPEED_UP}x)")

    for name in ("power", "water", "telecom", "road", "drainage"):
        took, result = seconds(lambda name=name: network_criticality(snap, name))
        target = TARGETS.get(f"{name} criticality")
        print(f"criticality of every {name} element ({len(result.ranking):,} assets, "
              f"{result.method}): {took:.3f} s" + (f" (target < {target:g} s)" if target else ""))
        if name == "power":
            ours_all = took
            total = len(result.ranking)

    sample = picked[:50]
    took, _ = seconds(lambda: [networkx_dead(graph, network.sources, *edge_of[e])
                               for e in sample])
    per_element = took / len(sample)
    print(f"networkx N-1 loop (one search per element): {per_element * 1000:.1f} ms per element "
          f"on {len(sample)}, so ~{per_element * total:.0f} s for all {total:,} power assets; "
          f"our criticality {per_element * total / ours_all:.0f}x as fast "
          f"(target >= {TARGET_SPEED_UP}x)")


if __name__ == "__main__":
    main()
