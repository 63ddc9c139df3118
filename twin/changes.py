"""Which tables changed, and when: a version per table, bumped by the database itself.

Every table of the twin (but the append-only logs in ``UNTRACKED``) carries a statement trigger
(migration 0004) that, in the writing transaction, adds one to the table's row in
``data_versions`` and NOTIFYs ``CHANNEL`` with the table's name. So a cache asks "has this
changed?" with one indexed read, whatever the table's size, and a listener learns of a change when
it commits. COPY, TRUNCATE and rolled-back writes are handled as PostgreSQL handles the write
itself: the version moves with the data or not at all.

A migration that adds a table adds the trigger too; a test checks that every table in the
metadata has it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text

from twin.schema import metadata

CHANNEL = "twin_data"
TRIGGER = "twin_track_changes"
UNTRACKED = frozenset({"data_versions", "live_history", "live_dead_letters"})
"""Never cached, written in every live batch: a version would only add a row lock to it."""

data_versions = Table(
    "data_versions",
    metadata,
    Column("table_name", Text, primary_key=True),
    Column("version", BigInteger, nullable=False, comment="writes committed since tracking began"),
    Column("changed_at", DateTime(timezone=True), nullable=False,
           comment="when the last write's statement ran"),
    comment="One row per table of the twin, bumped by a statement trigger on every write",
)

