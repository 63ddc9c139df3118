"""Which tables changed, and when: a version per table, bumped by the database itself.

Every table of the twin but those the live feed writes (``UNTRACKED``) carries a statement trigger
(migration 0004) that, in the writing transaction, adds one to the table's row in
``data_versions`` and NOTIFYs ``CHANNEL`` with the table's name. So a cache asks "has this
changed?" with one indexed read, whatever the table's size, and a listener learns of a change when
it commits. COPY, TRUNCATE and rolled-back writes are handled as PostgreSQL handles the write
itself: the version moves with the data or not at all (a statement that matched no row moves it
too: a cache then makes once more what it had).

The row stays locked until the writing transaction ends, so two transactions writing the same
table take turns from their first statement on it: right for imports and edits, which are rare,
whole and all-or-nothing (two that write the same two tables in opposite orders can deadlock;
PostgreSQL then refuses one, which leaves the twin as it was). The live feed writes many small
batches from several threads at once: its tables carry no trigger, and the one cache that follows
live state (the simulation snapshot) fingerprints ``live_current`` itself.

A migration that adds a table adds the trigger too; a test checks that every table in the
metadata has it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Table, Text

from twin.schema import metadata

CHANNEL = "twin_data"
TRIGGER = "twin_track_changes"
UNTRACKED = frozenset({"data_versions", "live_current", "live_history", "live_dead_letters",
                       "incidents", "audit_log", "api_tokens"})
"""Written by the live feed's concurrent batches (incidents too: rules and camera events raise
them), or the versions themselves; and the logs of every request: the audit log (every audited
write would take turns on its version) and api_tokens (sessions made at each login, marked as
used by servers). Nothing caches them."""

data_versions = Table(
    "data_versions",
    metadata,
    Column("table_name", Text, primary_key=True),
    Column("version", BigInteger, nullable=False,
           comment="statements that wrote to the table, committed, since tracking began"),
    Column("changed_at", DateTime(timezone=True), nullable=False,
           comment="when the last write's statement ran"),
    comment="One row per table of the twin, bumped by a statement trigger on every write",
)

