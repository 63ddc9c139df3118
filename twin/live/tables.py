"""The live state's tables: what devices report, kept as the latest value per asset and property
(``live_current``, upserted per batch) and as the full history (``live_history``); the messages the
twin could not use (``live_dead_letters``); and incidents.

Device states (valve or switch open/closed, luminaire on/off/failed, camera online/offline) are
observations of the text property ``state``; a luminaire's output level is the numeric property
``illuminance_level`` (0..1, FIWARE Streetlight's name). Times are UTC ``timestamptz``.

"Latest value per asset" is a primary-key lookup in ``live_current``; "state at time T" is one
index probe per (asset, property) in ``live_history``'s primary key (asset_id, property,
observed_at), which also makes a re-delivered observation a no-op. A BRIN index on observed_at
serves time-range scans of the append-only history at a fraction of a B-tree's size.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.schema import SchemaItem

from twin.schema import STORAGE_SRID, metadata, one_of

INCIDENT_STATUSES = ("open", "acknowledged", "resolved")
RAISED_BY = ("rule", "camera", "hand")
DEAD_LETTER_REASONS = ("bad_json", "bad_message", "unknown_topic", "unknown_asset",
                       "unknown_property", "wrong_type", "out_of_range", "future_time")
SENT_BY = ("the device credential that sent it (HTTP ingest); NULL over MQTT, whose broker does "
           "not say")


def _observation_columns(*, history: bool) -> list[SchemaItem]:
    """The shared columns; the history's key also holds the time, the current state's does not."""
    return [
        Column("asset_id", Text, primary_key=True, comment="the asset observed (any layer)"),
        Column("property", Text, primary_key=True,
               comment="observed property: pressure, voltage, state, illuminance_level, ..."),
        Column("observed_at", DateTime(timezone=True), primary_key=history, nullable=False,
               comment="when the device observed it (SensorThings phenomenonTime)"),
        Column("value", Float, comment="numeric result, in the property's unit"),
        Column("value_text", Text, comment="text result (device states: open, closed, on, off, ...)"),
        Column("unit", Text, comment="UCUM unit of value: kPa, V, kW, 1, ..."),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now(),
               comment="when the twin committed it"),
        CheckConstraint("(value IS NULL) <> (value_text IS NULL)", name="one_result"),
    ]


live_history = Table(
    "live_history",
    metadata,
    *_observation_columns(history=True),
    Column("sent_by", Text, comment=SENT_BY),
    Index("ix_live_history_observed_at_brin", "observed_at", postgresql_using="brin"),
    comment="Every observation the twin accepted, append-only (SensorThings Observations)",
)

live_current = Table(
    "live_current",
    metadata,
    *_observation_columns(history=False),
    Index("ix_live_current_property", "property", "asset_id"),
    comment="The latest observation per asset and property, upserted with each batch",
)

live_dead_letters = Table(
    "live_dead_letters",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("batch_id", Uuid, nullable=False, index=True,
           comment="the ingest batch; a batch retried after an unsure commit replaces its own"),
    Column("channel", Text, nullable=False, comment="mqtt or http"),
    Column("topic", Text, comment="MQTT topic or HTTP path it came on"),
    Column("item", Integer, comment="index of the refused entry within the message; "
                                    "NULL when the whole message was refused"),
    Column("reason", Text, nullable=False, comment="why: " + ", ".join(DEAD_LETTER_REASONS)),
    Column("detail", Text, nullable=False, comment="the fault in words, naming the value"),
    Column("payload", LargeBinary, nullable=False, comment="the message exactly as received"),
    Column("sent_by", Text, comment=SENT_BY),
    one_of("reason", DEAD_LETTER_REASONS),
    one_of("channel", ("mqtt", "http")),
    Index("ix_live_dead_letters_received_at", "received_at"),
    comment="Messages (or entries of them) the twin could not use, with the reason",
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("kind", Text, nullable=False,
           comment="luminaire_off_at_night, camera_offline, pressure_drop, no_voltage, accident, "
                   "flooding, fire, or any kind given by hand"),
    Column("status", Text, nullable=False, server_default="open"),
    Column("raised_by", Text, nullable=False, comment="rule, camera or hand"),
    Column("raised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("asset_ids", ARRAY(Text), nullable=False, comment="the assets involved"),
    Column("title", Text, nullable=False),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb"),
           comment="the rule's figures, the camera's confidence and snapshot, what the failed "
                   "asset takes down (outage simulation)"),
    Column("geom", Geometry("POINT", srid=STORAGE_SRID, spatial_index=False),
           comment="where, when known (EPSG:4326)"),
    Column("rule_key", Text, comment="what a rule watches (kind:asset); one open incident per key"),
    Column("acknowledged_by", Text),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    Column("resolved_at", DateTime(timezone=True)),
    Column("notes", JSONB, nullable=False, server_default=text("'[]'::jsonb"),
           comment="[{who, at, text}] in order"),
    one_of("status", INCIDENT_STATUSES),
    one_of("raised_by", RAISED_BY),
    Index("ix_incidents_status", "status"),
    Index("ix_incidents_asset_ids", "asset_ids", postgresql_using="gin"),
    Index("uq_incidents_open_rule_key", "rule_key", unique=True,
          postgresql_where=text("status <> 'resolved' AND rule_key IS NOT NULL")),
    comment="Incidents raised by rules, cameras or by hand, and who is on them",
)

LIVE_TABLES = (live_history, live_current, live_dead_letters, incidents)
