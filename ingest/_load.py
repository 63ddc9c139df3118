"""Writing what an importer read: one transaction, a progress bar, notes told after the commit.

Shared by every importer, so re-imports are refused, ids linked and database refusals reported
the same way for OSM, GIS files and EPANET models.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ARRAY, Connection, Engine, Text, any_, func, literal, select
from sqlalchemy.exc import DataError, IntegrityError

from layers import LAYERS
from twin.errors import InvalidInput
from twin.progress import table_progress, tell_notes
from twin.write import Dataset, reserve_ids, write_dataset

AssignIds = Callable[[Connection, Dataset], Dataset]
"""Gives a dataset's rows their twin ids inside the transaction (reserve_ids) and links them."""
Written = Callable[[Connection, dict[str, int]], None]
"""Called with the rows written per table inside the import's transaction, before it commits
(the audit log's record of the import)."""


def write_import(engine: Engine, dataset: Dataset, name: str,
                 assign_ids: AssignIds | None = None,
                 on_written: Written | None = None) -> dict[str, int]:
    """Write an importer's dataset from source ``name`` in one transaction, with a progress bar,
    then tell its notes; returns rows written per table. A second import of the same features
    is refused before anything is written; so is anything the database refuses."""
    try:
        with engine.begin() as conn:
            refuse_reimport(conn, dataset, name)
            if assign_ids is not None:
                dataset = assign_ids(conn, dataset)
            with table_progress(f"importing {name}", dataset.table_count) as report:
                written = write_dataset(conn, dataset, report)
            if on_written is not None:
                on_written(conn, written)
    except InvalidInput as exc:
        raise exc if exc.source and exc.source.startswith(name) else exc.in_source(name) from None
    except (IntegrityError, DataError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise InvalidInput(f"the database refused it, nothing was written: {reason}",
                           source=name) from None
    tell_notes(dataset.notes)
    return written


def refuse_reimport(conn: Connection, dataset: Dataset, name: str) -> None:
    """InvalidInput if rows of the dataset are in the twin already (same source and source_ref,
    or same asset id): each feature of a source is imported once."""
    found, first = 0, ""
    for layer, frame in dataset.layers.items():
        table = LAYERS[layer].table
        if "source_ref" in frame and frame["source_ref"].notna().any():
            refs = literal(frame["source_ref"].dropna().astype(str).tolist(), ARRAY(Text))
            count, ref = conn.execute(
                select(func.count(), func.min(table.c.source_ref))
                .where(table.c.source == str(frame["source"].iloc[0]),
                       table.c.source_ref == any_(refs))).one()
            found += count
            first = first or (f"{layer} '{ref}'" if count else "")
    if found:
        raise InvalidInput(f"{found:,} of its features are already in the twin (first: {first}): "
                           "each feature is imported once; nothing was written", source=name)
    for layer, frame in dataset.layers.items():
        if "id" in frame:
            table = LAYERS[layer].table
            ids = literal(frame["id"].astype(str).tolist(), ARRAY(Text))
            taken = conn.execute(select(table.c.id).where(table.c.id == any_(ids)).limit(1)).scalar()
            if taken is not None:
                raise InvalidInput(f"id '{taken}' is already in layer '{layer}'; nothing was "
                                   "written", source=name)


def link_ids(conn: Connection, dataset: Dataset, network: str
             ) -> tuple[Dataset, dict[str, str], dict[str, str]]:
    """The dataset with fresh twin ids (reserved in ``conn``'s transaction) for the keys its
    frames are indexed by, its ``network``'s nodes and edges linked through them; and the ids
    given to each asset key and each node key."""
    assets: dict[str, str] = {}
    layers = {}
    for layer, frame in dataset.layers.items():
        ids = reserve_ids(conn, layer, len(frame))
        assets.update(zip(frame.index, ids, strict=True))
        layers[layer] = frame.assign(id=ids)
    nodes, edges = dataset.nodes, dataset.edges
    if nodes is None or edges is None:
        raise ValueError("link_ids links a network: the dataset needs nodes and edges")
    node_ids = dict(zip(nodes.index, reserve_ids(conn, f"{network}:nodes", len(nodes)),
                        strict=True))
    nodes = nodes.assign(id=nodes.index.map(node_ids), asset_id=nodes["asset_id"].map(assets))
    edges = edges.assign(id=reserve_ids(conn, f"{network}:edges", len(edges)),
                         from_node=edges["from_node"].map(node_ids),
                         to_node=edges["to_node"].map(node_ids),
                         asset_id=edges["asset_id"].map(assets))
    return Dataset(layers=layers, nodes=nodes, edges=edges, notes=dataset.notes), assets, node_ids
