"""Loading a pandapower network into the power layers and the power network.

``pandapower_dataset`` turns the network's tables into a :class:`twin.write.Dataset` keyed by
``<table>/<index>`` (``line/7``) and writes nothing; ``import_pandapower`` writes it all or
nothing and returns which twin id each bus and element became, so results can be read back in
pandapower's terms.

What becomes what (pandapower's units turned into the twin's: kV, kVA, A, m):

- ``ext_grid`` → ``substations`` (``secondary_kv`` = its bus's nominal voltage); its bus's node is
  the substation's, a source while the grid and the bus are in service;
- ``line`` → ``power_lines`` (``voltage_level`` from its from bus: LV < 1 kV ≤ MV < 50 kV ≤ HV;
  ``construction`` underground for type ``cs``, else overhead; ``conductor`` = ``std_type``;
  ``rated_current_a`` = ``max_i_ka`` × 1000 × ``parallel``), drawn along its ``geo`` or straight,
  and a ``line``/``cable`` edge of ``length_km`` × 1000 m;
- ``trafo`` / ``trafo3w`` → ``transformers`` (``capacity_kva`` = ``sn_mva`` × 1000, kV of the
  HV and LV sides) at the middle of its buses, and ``transformer`` edges;
- ``load`` → ``service_points`` (one customer, ``demand_kw`` = ``p_mw`` × ``scaling`` × 1000)
  at its bus, with a ``consumer`` node joined to the bus by a ``cable`` edge;
- ``switch`` → ``power_switches`` (``switch_type`` CB breaker, LBS/LS load_break, DS
  disconnector; ``normal_state`` from ``closed``; an open switch is taken as a tie) and a
  ``switch`` edge, normally connected when closed.

Buses are network nodes, not assets. Topology as ``pandapower.topology.create_nxgraph`` sees it
(:mod:`ingest._pandapower_rows` says how switches and out-of-service elements are represented).
Generators and the other element tables are not modelled: a note counts them.
Rows get ``source='pandapower'`` and ``source_ref='<name>:<table>/<index>'``.

Coordinates: bus and line ``geo`` (GeoJSON) taken in ``crs`` (EPSG:4326 by default, as GeoJSON
says); a network with a bus without ``geo`` is drawn as a schematic around the city centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyproj import CRS
from sqlalchemy import Connection, Engine

from ingest._load import link_ids, write_import
from ingest._pandapower_place import place
from ingest._pandapower_rows import NETWORK, layer_frames, refuse_dangling, topology
from layers import LAYERS
from twin.city import BAC_GIANG, CityProfile
from twin.errors import InvalidInput
from twin.schema import STORAGE_SRID
from twin.validate import parse_crs, prepare_layer, refuse_outside_world
from twin.write import Dataset

__all__ = ["PandapowerImport", "import_pandapower", "pandapower_dataset"]

UNMODELLED = ("sgen", "gen", "storage", "shunt", "ward", "xward", "motor",
              "asymmetric_load", "asymmetric_sgen", "impedance", "dcline", "tcsc", "svc", "ssc",
              "vsc", "line_dc", "bus_dc")
"""pandapower element tables the twin does not model (counted in a note)."""
BRANCHES = ("impedance", "dcline", "tcsc", "vsc", "line_dc")
"""Those of them that join buses: without them the twin may see buses cut off that pandapower
sees supplied (a note warns)."""


@dataclass(frozen=True)
class PandapowerImport:
    """What an import wrote and which twin id each pandapower bus and element became (by the
    element's index in its table)."""

    written: dict[str, int]
    """Rows written per table."""
    bus_nodes: dict[int, str]
    substation_assets: dict[int, str]
    """``ext_grid`` index → substation id."""
    line_assets: dict[int, str]
    trafo_assets: dict[int, str]
    trafo3w_assets: dict[int, str]
    switch_assets: dict[int, str]
    load_assets: dict[int, str]
    """``load`` index → service point id."""

    @classmethod
    def from_ids(cls, written: dict[str, int], assets: dict[str, str],
                 nodes: dict[str, str]) -> PandapowerImport:
        """From the twin ids given to each asset key and node key."""
        def of(table: str, ids: dict[str, str]) -> dict[int, str]:
            return {int(key.split("/")[1]): i for key, i in ids.items()
                    if key.split("/")[0] == table}
        return cls(written, of("bus", nodes), of("ext_grid", assets), of("line", assets),
                   of("trafo", assets), of("trafo3w", assets), of("switch", assets),
                   of("load", assets))


def pandapower_dataset(net: Any, *, name: str | None = None, crs: str = "EPSG:4326",
                       city: CityProfile = BAC_GIANG) -> Dataset:
    """The network as a Dataset keyed by ``<table>/<index>`` (no twin ids yet), or InvalidInput.

    ``name`` (default: the network's own, else ``pandapower``) prefixes ``source_ref``; ``crs``
    is the CRS of the ``geo`` columns. Nothing is written.
    """
    ref = source_name(net, name)
    notes: list[str] = []
    try:
        refuse_dangling(net)
        where = place(net, parse_crs(crs) or CRS.from_epsg(STORAGE_SRID), city, notes)
        layers = {layer: prepare_layer(LAYERS[layer], frame, "")
                  for layer, frame in layer_frames(net, where, ref).items()}
        nodes, edges = topology(net, where)
        refuse_outside_world(nodes.geometry.to_crs(STORAGE_SRID), nodes.geometry, "")
    except InvalidInput as exc:
        raise exc.in_source(ref) from None
    return Dataset(layers=layers, nodes=nodes, edges=edges, notes=notes + _unmodelled(net))


def import_pandapower(engine: Engine, net: Any, *, name: str | None = None,
                      crs: str = "EPSG:4326") -> PandapowerImport:
    """Import a pandapower network into the power layers and network, all or nothing."""
    dataset = pandapower_dataset(net, name=name, crs=crs)
    ids: dict[str, dict[str, str]] = {}

    def linked(conn: Connection, keyed: Dataset) -> Dataset:
        dataset, ids["assets"], ids["nodes"] = link_ids(conn, keyed, NETWORK)
        return dataset

    written = write_import(engine, dataset, source_name(net, name), assign_ids=linked)
    return PandapowerImport.from_ids(written, ids["assets"], ids["nodes"])


def source_name(net: Any, name: str | None) -> str:
    """The name an import goes by: ``name``, else the network's own, else ``pandapower``."""
    own = getattr(net, "name", None)
    return name or (own if isinstance(own, str) and own else "pandapower")


def _unmodelled(net: Any) -> list[str]:
    held = [f"{table} ({len(net[table])})" for table in UNMODELLED
            if table in net and len(net[table])]
    if not held:
        return []
    joining = [table for table in BRANCHES if table in net and len(net[table])]
    return [f"the network's {', '.join(held)} are not part of the twin's power network; "
            "its buses, lines, transformers, switches, external grids and loads are"] + (
        [f"without its {', '.join(joining)}, buses they join may be cut off in the twin"]
        if joining else [])
