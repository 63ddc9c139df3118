"""``twin import osm``: roads (as a network), buildings, trees, street lamps, poles, power,
telecom cabinets, water and drainage pipelines, hydrants, cameras and water areas from an
OpenStreetMap extract (``.osm.pbf`` or ``.osm`` XML), all or nothing.

Every row keeps ``source='osm'``, ``source_ref`` (``osm:node/123``, ``osm:way/45``,
``osm:relation/6``; road segments after a way's first ``osm:way/45#2``, ...) and the tags the
twin has no column for in ``attributes``. What the file holds that the twin does not model, or
that cannot be drawn, is counted in the dataset's ``notes`` and told to the user.
Data © OpenStreetMap contributors, ODbL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import osmium
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, Engine

from ingest._load import Written, write_import
from ingest._osm_read import AREA_KEYS, KEYS, Collector
from twin.errors import InvalidInput
from twin.progress import console
from twin.write import Dataset, reserve_ids

__all__ = ["import_osm_file", "read_osm"]


def import_osm_file(engine: Engine, path: Path, on_written: Written | None = None
                    ) -> dict[str, int]:
    """Read the whole file, then write it in one transaction; returns rows written per table.
    ``on_written`` runs in that transaction after the rows are written (the audit log).

    Raises InvalidInput, with nothing written, for a file that is missing, empty, damaged or not
    OSM data, or whose features are already in the twin.
    """
    with _reading(path) as progress:
        dataset = read_osm(path, progress)
    return write_import(engine, dataset, str(path), assign_ids=with_ids, on_written=on_written)


def read_osm(path: Path, progress: Callable[[int], None] | None = None) -> Dataset:
    """The twin's rows from an OSM file (EPSG:4326), without touching any database.

    Ids are provisional: road segments have no ``id`` yet, and the road network's nodes, edges
    and a luminaire's ``pole_id`` name features by source_ref (``osm:node/123``) until
    :func:`with_ids` gives them the twin's. ``progress`` is called with the count of objects read.
    """
    file, kind = _osm_file(path)
    collector = Collector()
    count = 0
    for obj in _objects(file, kind, path):
        collector.add(obj)
        count += 1
        if progress and count % 4096 == 0:
            progress(count)
    if count == 0 and next(_objects(file, kind, path, everything=True), None) is None:
        raise InvalidInput("holds no OpenStreetMap objects", source=str(path))
    return collector.dataset()


def with_ids(conn: Connection, dataset: Dataset) -> Dataset:
    """A copy of ``dataset`` with the twin's ids for road segments, poles and the road network
    (reserved in ``conn``'s transaction), and every provisional reference swapped for them."""
    layers = dict(dataset.layers)
    ids: dict[str, dict[str, str]] = {}
    for name in ("roads", "poles"):
        if name in layers:
            refs = layers[name]["source_ref"]
            ids[name] = dict(zip(refs, reserve_ids(conn, name, len(refs)), strict=True))
            layers[name] = layers[name].assign(id=refs.map(ids[name]))
    if "luminaires" in layers and "pole_id" in layers["luminaires"].columns:
        lamps = layers["luminaires"]
        layers["luminaires"] = lamps.assign(pole_id=lamps["pole_id"].map(ids.get("poles", {})))
    nodes, edges = dataset.nodes, dataset.edges
    if nodes is not None and edges is not None:
        node_ids = dict(zip(nodes["id"], reserve_ids(conn, "road:nodes", len(nodes)), strict=True))
        nodes = nodes.assign(id=nodes["id"].map(node_ids))
        edges = edges.assign(id=reserve_ids(conn, "road:edges", len(edges)),
                             from_node=edges["from_node"].map(node_ids),
                             to_node=edges["to_node"].map(node_ids),
                             asset_id=edges["asset_id"].map(ids["roads"]))
    return Dataset(layers, nodes, edges, dataset.dependencies, list(dataset.notes))


def _osm_file(path: Path) -> tuple[osmium.io.File, str]:
    """The file, with its format read from its first bytes (and that format's name), or
    InvalidInput saying why not."""
    where = str(path)
    if not path.exists():
        raise InvalidInput("no such file", source=where)
    if path.is_dir():
        raise InvalidInput("is a folder, not an OpenStreetMap file", source=where)
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise InvalidInput(f"cannot be read: {exc.strerror}", source=where) from exc
    if not head:
        raise InvalidInput("is empty", source=where)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"OSMHeader" in head[:24]:
        kind = "pbf"
    elif text.startswith(b"<"):
        kind = "osm"
    elif head.startswith(b"\x1f\x8b"):
        kind = "osm.gz"
    elif head.startswith(b"BZh"):
        kind = "osm.bz2"
    else:
        raise InvalidInput("is not OpenStreetMap data (expected .osm.pbf or .osm XML)",
                           source=where)
    return osmium.io.File(where, kind), "PBF" if kind == "pbf" else "XML"


def _objects(file: osmium.io.File, kind: str, path: Path,
             everything: bool = False) -> Iterator[Any]:
    """The file's objects with one of ``KEYS`` (nodes located, areas assembled), or every
    object; a damaged file becomes InvalidInput."""
    processor = osmium.FileProcessor(file)
    if not everything:
        processor = (processor.with_locations()
                     .with_areas(osmium.filter.KeyFilter(*AREA_KEYS))
                     .with_filter(osmium.filter.KeyFilter(*KEYS)))
    try:
        yield from processor
    except RuntimeError as exc:
        hint = " (truncated or damaged?)" if kind == "PBF" else ""
        raise InvalidInput(f"cannot be read as OpenStreetMap {kind}: {exc}{hint}",
                           source=str(path)) from exc


@contextmanager
def _reading(path: Path) -> Iterator[Callable[[int], None] | None]:
    """A spinner with the count of objects read, on a terminal (nothing in logs)."""
    if not console.is_terminal:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn(f"[bold]reading {path.name}"),
                  TextColumn("{task.completed:,} objects"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("read", total=None)
        yield lambda count: bar.update(task, completed=count)
