"""The simulations against their peers on the peers' own networks, same work, same answers.

    .venv/bin/python bench/bench_anchors.py [--seed 7] [--repeat 3]

- All-element N-1 on pandapower's ``lv_schutterwald`` (every line and transformer), against a
  loop that sets each element out of service and calls ``pandapower.topology.unsupplied_buses``.
  Same work: our snapshot (loaded once) with one ``dead_nodes`` per element (the buses without
  supply, nothing more); then the full what-if, one ``outage`` per element (with the cascade,
  the isolating switches and the restoration search, which the peer does not do). The
  unsupplied buses must agree for every element, in both.
- Valve segments of WNTR's ``Net6`` with a strategic N-2 valve layer: our ``valve_segments`` on
  the snapshot, against ``wntr.metrics.valve_segments``; the partitions must agree.

Both networks go in through the importers (``ingest.pandapower``, ``ingest.epanet`` and
``ingest.valve_layer``) on a private embedded cluster (or TWIN_DATABASE_URL's server, where it
creates and drops its own databases). Prints one line per figure; asserts nothing.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import pandapower.networks as pn
import pandapower.topology as top
import sqlalchemy as sa
import wntr
from bench_twin import Server, timed

from ingest.epanet import import_epanet_file
from ingest.pandapower import import_pandapower
from ingest.valve_layer import epanet_ids, import_valve_layer
from simulation.snapshot import Snapshot, load_snapshot

T = TypeVar("T")
NET6 = Path(wntr.__file__).parent / "library" / "networks" / "Net6.inp"
TARGET_SPEED_UP = 20


def run_timed(work: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """``bench_twin.timed`` with the result's type kept: best wall time (s), last result."""
    seconds, result = timed(work, repeat)
    return seconds, cast(T, result)


def report(what: str, ours: float, peer: float, peer_name: str, agree: str) -> None:
    print(f"{what}: ours {_duration(ours)}, {peer_name} {_duration(peer)}, speed-up "
          f"{peer / ours:.1f}x (target >= {TARGET_SPEED_UP}x); {agree}")


def _duration(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.2f} ms"


# -- N-1 on lv_schutterwald ---------------------------------------------------------------------
def unsupplied_after_each(net: Any) -> dict[tuple[str, int], set[int]]:
    """The peer: each line and transformer out of service in turn, ``unsupplied_buses``."""
    answers = {}
    for table in ("line", "trafo"):
        for index in net[table].index:
            net[table].at[index, "in_service"] = False
            answers[(table, int(index))] = top.unsupplied_buses(net)
            net[table].at[index, "in_service"] = True
    return answers


def bench_n_minus_1(engine: sa.Engine, repeat: int) -> None:
    with warnings.catch_warnings():  # pandapower's own data format warning on load
        warnings.simplefilter("ignore", DeprecationWarning)
        net = pn.lv_schutterwald()
    imported = import_pandapower(engine, net)
    load_s, snap = run_timed(lambda: load_snapshot(engine, live=False))
    assets = {("line", i): a for i, a in imported.line_assets.items()}
    assets.update({("trafo", i): a for i, a in imported.trafo_assets.items()})
    buses = {node: bus for bus, node in imported.bus_nodes.items()}
    on = set(net.bus.index[net.bus["in_service"]])

    def dead_buses(dead: Callable[[str], frozenset[str]]) -> dict[tuple[str, int], set[int]]:
        return {key: {buses[n] for n in dead(asset) if n in buses} & on
                for key, asset in assets.items()}

    dead_s, dead_answers = run_timed(
        lambda: dead_buses(lambda a: snap.dead_nodes([a])["power"]), repeat)
    full_s, full_answers = run_timed(
        lambda: dead_buses(lambda a: snap.outage([a]).dead_nodes["power"]), repeat)
    peer_s, peer_answers = run_timed(lambda: unsupplied_after_each(net), 1)
    print(f"lv_schutterwald: {len(net.bus)} buses, {len(assets)} elements; snapshot load "
          f"{load_s:.3f} s (once, not counted)")
    for what, ours_s, answers in (("dead buses, snap.dead_nodes", dead_s, dead_answers),
                                  ("full what-if, snap.outage", full_s, full_answers)):
        differ = [key for key in assets if answers[key] != peer_answers[key]]
        report(f"N-1 of {len(assets)} elements ({what})", ours_s, peer_s,
               "pandapower unsupplied_buses loop",
               f"answers differ for {len(differ)} elements" + (f" (first: {differ[:3]})"
                                                               if differ else ""))


# -- valve segments on Net6 ---------------------------------------------------------------------
def partition(node_segment: Mapping[str, int], link_segment: Mapping[str, int]) -> set:
    """A segmentation as the set of its groups of ``node:<name>``/``link:<name>``."""
    groups: dict[int, set[str]] = {}
    for kind, labels in (("node", node_segment), ("link", link_segment)):
        for name, label in labels.items():
            groups.setdefault(label, set()).add(f"{kind}:{name}")
    return {frozenset(g) for g in groups.values()}


def bench_segments(engine: sa.Engine, seed: int, repeat: int) -> None:
    import_epanet_file(engine, NET6)
    wn = wntr.network.WaterNetworkModel(str(NET6))
    layer = wntr.network.generate_valve_layer(wn, "strategic", 2, seed=seed)
    import_valve_layer(engine, NET6.name, layer)
    load_s, snap = run_timed(lambda: load_snapshot(engine, live=False))
    ids = epanet_ids(engine, NET6.name)
    # a fresh snapshot of the compiled networks each run, so that no segments are cached
    ours_s, segments = run_timed(lambda: Snapshot(snap.networks, snap.dependencies,
                                                  snap.luminaire_road).valve_segments("water"),
                                 repeat)
    graph = wn.to_graph()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # WNTR's own pandas use
        peer_s, (nodes, links, _) = run_timed(lambda: wntr.metrics.valve_segments(graph,
                                                                            layer.copy()), 1)
    ours_p = partition({n: segments.node_segment[i] for n, i in ids.nodes.items()},
                       {n: segments.edge_segment.get(i, -1 - k)
                        for k, (n, i) in enumerate(ids.links.items())})
    peer_p = partition(nodes.to_dict(), links.to_dict())
    print(f"Net6: {wn.num_nodes} nodes, {wn.num_links} links, {len(layer)} valves (strategic "
          f"N-2, seed {seed}); snapshot load {load_s:.3f} s (once, not counted)")
    report("valve segments", ours_s, peer_s, "wntr valve_segments",
           f"{len(peer_p)} segments in WNTR's, {len(ours_p)} in ours; partitions "
           + ("agree" if ours_p == peer_p else f"differ ({len(peer_p - ours_p)} of WNTR's "
                                                "groups are not ours)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="seed of the valve layer")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our side (best kept)")
    args = parser.parse_args()
    server = Server()
    try:
        bench_n_minus_1(server.fresh_engine("twin_bench_anchors_power"), args.repeat)
        bench_segments(server.fresh_engine("twin_bench_anchors_water"), args.seed, args.repeat)
    finally:
        server.close()


if __name__ == "__main__":
    main()
