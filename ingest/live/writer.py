"""The batch writer every channel shares: parse a batch of raw messages, then in ONE transaction
COPY the good observations into the history, upsert the current state, keep the refused ones as
dead letters, open the incidents cameras saw and announce the changes. If PostgreSQL goes away,
it waits and retries the whole transaction: the caller acknowledges nothing before it returns.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from ingest.live.messages import (
    CameraIncident,
    DeadLetter,
    Observation,
    Origin,
    Parsed,
    parse_message,
)
from twin.live.assets import AssetIndex
from twin.live.incidents import raise_incident
from twin.live.notify import assets_payload, notify
from twin.live.state import LEVEL, STATE
from twin.live.tables import live_dead_letters

log = logging.getLogger(__name__)
MAX_STATE_NOTIFICATIONS = 200
"""More device state changes than this in one batch are announced as one summary."""

_STAGE = """CREATE TEMP TABLE IF NOT EXISTS live_batch (
    asset_id text, property text, observed_at timestamptz, value float8, value_text text,
    unit text, sent_by text) ON COMMIT DELETE ROWS"""
_TO_HISTORY = """INSERT INTO live_history (asset_id, property, observed_at, value, value_text, unit,
    sent_by) SELECT asset_id, property, observed_at, value, value_text, unit, sent_by FROM live_batch
    ON CONFLICT DO NOTHING"""
_TO_CURRENT = f"""
    WITH batch AS (SELECT * FROM live_batch),  -- the latest per (asset, property) of the batch
    old AS (
        SELECT c.asset_id, c.property, c.value, c.value_text FROM live_current c
        JOIN batch USING (asset_id, property) WHERE c.property IN ('{STATE}', '{LEVEL}')),
    up AS (
        INSERT INTO live_current AS c (asset_id, property, observed_at, value, value_text, unit)
        SELECT asset_id, property, observed_at, value, value_text, unit FROM batch
        ON CONFLICT (asset_id, property) DO UPDATE SET
            observed_at = excluded.observed_at, value = excluded.value,
            value_text = excluded.value_text, unit = excluded.unit, received_at = now()
        WHERE c.observed_at < excluded.observed_at
        RETURNING c.asset_id, c.property, c.observed_at, c.value, c.value_text)
    SELECT up.asset_id, up.property, up.observed_at, up.value, up.value_text,
           up.property IN ('{STATE}', '{LEVEL}')
           AND (old.asset_id IS NULL OR old.value IS DISTINCT FROM up.value
                OR old.value_text IS DISTINCT FROM up.value_text) AS changed
    FROM up LEFT JOIN old USING (asset_id, property)"""
_DEAD_COPY = ("COPY live_dead_letters (batch_id, channel, topic, item, reason, detail, payload, "
              "sent_by) FROM STDIN")
_HISTORY_COPY = ("COPY live_history (asset_id, property, observed_at, value, value_text, unit, "
                 "sent_by) FROM STDIN")
_STAGE_COPY = ("COPY live_batch (asset_id, property, observed_at, value, value_text, unit, "
               "sent_by) FROM STDIN")
RETRYABLE = (sa.exc.OperationalError, sa.exc.InterfaceError,
             psycopg.OperationalError, psycopg.InterfaceError)
"""Errors of a server or connection that went away: wait and retry the batch (the COPYs run on
the driver's connection, whose errors SQLAlchemy does not wrap)."""


@dataclass
class BatchResult:
    """What became of a batch: observations stored, entries dead-lettered (by reason),
    incidents opened, attempts that met no database."""

    stored: int = 0
    dead_lettered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    incidents: int = 0
    retries: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"stored": self.stored, "dead_lettered": self.dead_lettered,
                "reasons": dict(self.reasons), "incidents": self.incidents}


def _entry(obs: Observation) -> bytes:
    """The observation's entry as its message held it (JSON), for its dead letter."""
    return json.dumps(json.loads(obs.origin.payload)["observations"][obs.item]).encode()


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
"""COPY text format: backslash, tab and line breaks escaped."""


def _line(o: Observation) -> str:
    value = "\\N" if o.value is None else repr(o.value)
    text = "\\N" if o.value_text is None else o.value_text.translate(_ESCAPE)
    unit = "\\N" if o.unit is None else o.unit.translate(_ESCAPE)
    sent_by = "\\N" if o.origin.sent_by is None else o.origin.sent_by  # a credential name: plain
    return (f"{o.asset_id.translate(_ESCAPE)}\t{o.property.translate(_ESCAPE)}\t"
            f"{o.observed_at.isoformat()}\t{value}\t{text}\t{unit}\t{sent_by}\n")


def _copy(cursor: Any, statement: str, observations: Iterable[Observation]) -> None:
    """COPY in text format, the rows formatted in one go (about 3 times quicker than a
    write_row per row; for the current state, twice as quick as arrays of parameters)."""
    with cursor.copy(statement) as copy:
        copy.write("".join(map(_line, observations)))


def _to_history(cursor: Any, good: list[Observation]) -> None:
    """COPY straight into the history; if some observation is there already (a message the
    broker delivered again), go through the staging table and skip those instead. The
    savepoint is left to the commit: a round trip less (they cost most on a loaded machine)."""
    cursor.execute(f"{_STAGE}; SAVEPOINT live_history_copy")
    try:
        _copy(cursor, _HISTORY_COPY, good)
    except psycopg.errors.UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT live_history_copy")
        _copy(cursor, _STAGE_COPY, good)
        cursor.execute(_TO_HISTORY)
        cursor.execute("TRUNCATE live_batch")


def parse_batch(origins: Sequence[Origin], now: datetime | None = None) -> Parsed:
    """Everything a batch of messages says (pure: no database), checked at ``now`` (UTC)."""
    now = now or datetime.now(UTC)
    parsed = Parsed()
    for origin in origins:
        parsed.extend(parse_message(origin, now))
    return parsed


class BatchWriter:
    """Writes batches of raw messages into the twin; one per ingester (it caches asset ids)."""

    def __init__(self, engine: Engine, *, max_wait_s: float = 5.0, patience_s: float | None = None,
                 stop: threading.Event | None = None, keep_connection: bool = False) -> None:
        self.engine = engine
        self.keep_connection = keep_connection
        """Hold one connection for every batch (one writing thread only): no pool check-out and
        no ping per batch. Otherwise each batch takes one from the pool (HTTP's threads)."""
        self._conn: Connection | None = None
        self.assets = AssetIndex()
        self.max_wait_s = max_wait_s
        """Longest pause between two attempts (s)."""
        self.patience_s = patience_s
        """Give up (TimeoutError) after this long without a database (s); None: never."""
        self.stop = stop or threading.Event()

    def warm_up(self) -> None:
        """Load the asset index now rather than with the first batch (some 0.5 s at scale 1),
        when the database is there; otherwise the first batch will."""
        try:
            with self.engine.connect() as conn:
                self.assets.unknown(conn, ())
        except RETRYABLE:
            log.warning("database unavailable at start: the first batch will wait for it")

    def write(self, origins: Sequence[Origin], now: datetime | None = None) -> BatchResult:
        """Parse and store ``origins`` in one transaction (see :meth:`commit`)."""
        return self.commit(parse_batch(origins, now))

    def commit(self, parsed: Parsed) -> BatchResult:
        """Store a parsed batch in one transaction, retrying while the database is away.
        Raises InterruptedError if asked to stop before the batch could be committed, and
        TimeoutError once ``patience_s`` has passed without a database."""
        batch_id = uuid.uuid4()
        wait, retries, started = 0.1, 0, time.monotonic()
        while True:
            try:
                with self._transaction() as conn:
                    if retries:  # the last attempt may have committed before the line dropped
                        conn.execute(live_dead_letters.delete().where(
                            live_dead_letters.c.batch_id == batch_id))
                    result = self._write(conn, parsed, batch_id)
                result.retries = retries
                return result
            except RETRYABLE as exc:
                self._drop_connection()
                retries += 1
                if self.patience_s is not None and time.monotonic() - started > self.patience_s:
                    raise TimeoutError(str(exc).splitlines()[0]) from exc
                log.warning("database unavailable (%s); retrying the batch in %.1f s",
                            str(exc).splitlines()[0], wait)
                if self.stop.wait(wait):
                    raise InterruptedError("stopped before the batch was committed") from exc
                wait = min(wait * 2, self.max_wait_s)

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        if not self.keep_connection:
            with self.engine.begin() as conn:
                yield conn
            return
        if self._conn is None:
            self._conn = self.engine.connect()
        with self._conn.begin():
            yield self._conn

    def close(self) -> None:
        """Give back the connection held for the batches (keep_connection)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _drop_connection(self) -> None:
        """Forget a connection the server dropped; the next attempt opens a new one."""
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None

    def _write(self, conn: Connection, parsed: Parsed, batch_id: uuid.UUID) -> BatchResult:
        ids = {o.asset_id for o in parsed.observations} | {i.camera_id for i in parsed.incidents}
        unknown = self.assets.unknown(conn, ids)
        dead = list(parsed.dead)
        good: list[Observation] = []
        refused_whole: set[int] = set()  # a device state's two observations: one dead letter
        for obs in parsed.observations:
            if obs.asset_id not in unknown:
                good.append(obs)
            elif obs.item is not None:
                dead.append(DeadLetter(obs.origin, obs.item, "unknown_asset",
                                       f"no asset '{obs.asset_id}' in the twin", entry=_entry(obs)))
            elif id(obs.origin) not in refused_whole:
                refused_whole.add(id(obs.origin))
                dead.append(DeadLetter(obs.origin, None, "unknown_asset",
                                       f"no asset '{obs.asset_id}' in the twin"))
        seen_by_cameras: list[CameraIncident] = []
        for seen in parsed.incidents:
            if seen.camera_id in unknown:
                dead.append(DeadLetter(seen.origin, None, "unknown_asset",
                                       f"no camera '{seen.camera_id}' in the twin"))
            else:
                seen_by_cameras.append(seen)
        result = BatchResult(stored=len(good), dead_lettered=len(dead),
                             reasons=Counter(d.reason for d in dead))
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            if good:
                self._store(conn, cursor, good)
            if dead:
                with cursor.copy(_DEAD_COPY) as copy:
                    for d in dead:
                        copy.write_row((batch_id, d.origin.channel, d.origin.topic, d.item, d.reason,
                                        d.detail, d.payload, d.origin.sent_by))
        result.incidents = sum(self._camera_incident(conn, seen) for seen in seen_by_cameras)
        return result

    def _store(self, conn: Connection, cursor: Any, good: list[Observation]) -> None:
        _to_history(cursor, good)
        latest: dict[tuple[str, str], Observation] = {}
        for o in good:
            seen = latest.get((o.asset_id, o.property))
            if seen is None or seen.observed_at < o.observed_at:
                latest[(o.asset_id, o.property)] = o
        _copy(cursor, _STAGE_COPY, latest.values())
        cursor.execute(_TO_CURRENT)
        updated = cursor.fetchall()
        changed = [row for row in updated if row[5]]
        if len(changed) <= MAX_STATE_NOTIFICATIONS:
            changes = [{"kind": "state", "asset_id": a, "property": p, "observed_at": t.isoformat(),
                        "value": text if text is not None else value}
                       for a, p, t, value, text, _ in changed]
        else:  # a whole district switching at once: one summary, not thousands of notifications
            changes = [assets_payload("state", sorted({row[0] for row in changed}), len(changed))]
        readings = sorted({a for a, p, *_ in updated if p not in (STATE, LEVEL)})
        if readings:
            changes.append(assets_payload("readings", readings, len(good)))
        notify(conn, changes)

    def _camera_incident(self, conn: Connection, seen: CameraIncident) -> bool:
        incident = raise_incident(
            conn, seen.kind, [seen.camera_id], raised_by="camera",
            title=f"{seen.kind} seen by {seen.camera_id}",
            details={"confidence": seen.confidence, "snapshot": seen.snapshot,
                     "seen_at": seen.observed_at.isoformat()},
            position=seen.position, rule_key=f"camera:{seen.camera_id}:{seen.kind}")
        return incident is not None
