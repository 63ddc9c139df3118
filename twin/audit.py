"""The audit log: who wrote what, when, with the values before and after.

Every write through the API or the CLI calls :func:`record` in the same transaction as the write,
so the log holds a row exactly when the write committed. Bulk imports record one row per import
(layer, file, row counts before and after, rows written), not one per row; the live feed's
observations are not audited here: ``live_history`` keeps each with its source already.

The log is append-only for the twin (nothing updates or deletes it) and carries no data-version
trigger (``twin.changes.UNTRACKED``): nothing caches it, and a trigger would make every audited
write take turns on one row.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, Connection, DateTime, Identity, Index, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from twin.schema import metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now(),
           comment="when the writing transaction began"),
    Column("actor", Text, nullable=False,
           comment="user name, or cli:<os user> for the command line"),
    Column("role", Text, comment="the actor's role at the time, when the actor is a user"),
    Column("action", Text, nullable=False,
           comment="what was done: asset.edit, incident.acknowledge, user.create, import.file, ..."),
    Column("table_name", Text, comment="the table written, when one"),
    Column("target", Text, comment="the row written (its id or name), when one"),
    Column("before", JSONB, comment="the values the write changed, before it"),
    Column("after", JSONB, comment="the same values after it"),
    Column("detail", JSONB, comment="anything else: the file imported, the counts, a note"),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor_at", "actor", "at"),
    Index("ix_audit_log_table_name_target", "table_name", "target"),
    comment="Every write through the API or the CLI: who, what, when, before and after",
)

MAX_LIMIT = 10_000


def cli_actor() -> str:
    """The actor of a command-line write: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        user = "unknown"
    return f"cli:{user}"


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Values as JSON keeps them: times as ISO text, anything else unknown as its text."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_text))  # type: ignore[no-any-return]


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def record(conn: Connection, *, actor: str, action: str, table: str | None, target: str | None,
           before: dict[str, Any] | None, after: dict[str, Any] | None,
           detail: dict[str, Any] | None = None) -> None:
    """Log one write, in the caller's transaction (call it before the transaction commits).
    The row's role is the actor's in ``users`` now (none for ``cli:`` actors)."""
    users = metadata.tables.get("users")
    role_value: Any = None
    if users is not None:
        role_value = sa.select(users.c.role).where(users.c.name == actor).scalar_subquery()
    conn.execute(audit_log.insert().values(
        actor=actor, role=role_value, action=action, table_name=table, target=target,
        before=_jsonable(before), after=_jsonable(after), detail=_jsonable(detail)))


def import_recorder(actor: str, kind: str, file: str, options: dict[str, Any]
                    ) -> Callable[[Connection, dict[str, int]], None]:
    """What an importer calls in its transaction once it has written (``on_written``): one audit
    row with the file, the options, the rows of each table written to before and after, and the
    rows written."""

    def recorded(conn: Connection, written: dict[str, int]) -> None:
        after = {table: int(conn.execute(sa.select(sa.func.count())
                                         .select_from(metadata.tables[table])).scalar_one())
                 for table in written}
        record(conn, actor=actor, action=f"import.{kind}", table=options.get("layer"),
               target=file, before={"rows": {t: n - written[t] for t, n in after.items()}},
               after={"rows": after},
               detail={"file": file, "options": options, "written": written,
                       "total": sum(written.values())})

    return recorded


def query_audit(conn: Connection, *, actor: str | None = None, table: str | None = None,
                target: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 100) -> pd.DataFrame:
    """Audit rows matching every filter given, newest first (at most ``limit``, ≤ 10,000);
    columns as in ``audit_log``."""
    limit = max(1, min(limit, MAX_LIMIT))
    a = audit_log.c
    query = sa.select(audit_log).order_by(a.at.desc(), a.id.desc()).limit(limit)
    for column, value in ((a.actor, actor), (a.table_name, table), (a.target, target)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(a.at >= since)
    if until is not None:
        query = query.where(a.at < until)
    rows = conn.execute(query).all()
    return pd.DataFrame([r._asdict() for r in rows], columns=[c.name for c in audit_log.c])
