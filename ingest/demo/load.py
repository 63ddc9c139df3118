"""Writing the demo city into the twin: all or nothing, in one transaction, with progress bars.

A twin that holds only demo data (every row's ``source`` is ``demo``) is emptied and rebuilt; one
that holds anything else is left alone unless ``replace`` is given. The tables without a
``source`` column (wards, districts, the topology) count as demo data when demo rows are there,
as foreign data otherwise.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, func, literal, select, union_all

from ingest.demo.city import STAGES, build_demo_city
from layers import LAYERS, TOPOLOGY_TABLES
from twin.errors import InvalidInput
from twin.progress import step_progress, table_progress, tell_notes
from twin.write import write_dataset

DEMO = "demo"
_SEQUENCES = [f"{name}_id_seq" for name, spec in LAYERS.items() if spec.is_asset] + [
    "network_nodes_id_seq", "network_edges_id_seq"]


def load_demo_city(engine: Engine, *, scale: float = 1.0, seed: int = 7, replace: bool = False,
                   shared_data: Path | None = None) -> dict[str, int]:
    """Build the demo city and write it, then tell the dataset's notes; returns rows written
    per table.

    Raises InvalidInput, before building anything, if the twin holds data that is not the
    demo's and ``replace`` is false."""
    with engine.begin() as conn:
        foreign = foreign_data(conn)
        if foreign and not replace:
            raise InvalidInput(
                f"the twin holds data that is not the demo's ({', '.join(foreign)}): "
                "pass --replace (replace=True from Python) to delete it and build the demo city")
        with step_progress("Building the demo city", len(STAGES)) as report:
            dataset = build_demo_city(scale, seed, shared_data, report=report)
        empty_twin(conn)
        with table_progress("Writing the demo city", dataset.table_count) as report_table:
            written = write_dataset(conn, dataset, report_table)
    tell_notes(dataset.notes)
    return written


def foreign_data(conn: Connection) -> list[str]:
    """What the twin holds besides demo data, as ``'<table>: <n> rows from <source>'``; empty
    for an empty twin or one that holds only the demo city."""
    sourced = [spec.table for spec in LAYERS.values() if "source" in spec.table.c]
    counts = union_all(*(
        select(literal(t.name).label("name"), t.c.source, func.count().label("n"))
        .group_by(t.c.source) for t in sourced))
    rows = conn.execute(select(counts.subquery()).order_by("name", "source")).all()
    foreign = [f"{name}: {_rows(n)} from {source}" for name, source, n in rows if source != DEMO]
    if any(source == DEMO for _, source, _ in rows):
        return foreign
    unsourced = [t for t in [spec.table for spec in LAYERS.values()] + list(TOPOLOGY_TABLES)
                 if "source" not in t.c]
    totals = union_all(*(select(literal(t.name).label("name"), func.count().label("n"))
                         .select_from(t) for t in unsourced))
    return foreign + [f"{name}: {_rows(n)}" for name, n in
                      conn.execute(select(totals.subquery()).order_by("name")).all() if n]


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def empty_twin(conn: Connection) -> None:
    """Delete every layer's and the topology's rows and restart the id sequences (all of it
    undone if the transaction is rolled back)."""
    tables = [spec.table.name for spec in LAYERS.values()] + [t.name for t in TOPOLOGY_TABLES]
    quoted = ", ".join(f'"{table}"' for table in tables)
    conn.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY")
    for sequence in _SEQUENCES:
        conn.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')
