"""Turning one raw message (topic and bytes) into observations, camera incidents and dead letters.

Pure: no database. Whether the asset exists is the writer's check (:mod:`ingest.live.writer`), with
the twin's asset index. Topic layout (``docs/live.md``)::

    twin/observations[/<source>...]       observations of any assets      schemas/observations.json
    twin/devices/<asset_id>/state         a device's new state            schemas/device-state.json
    twin/cameras/<camera_id>/events       online, heartbeat, offline,     schemas/camera-event.json
                                          incident detected

Anything else under ``twin/`` is dead-lettered as ``unknown_topic``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from ingest.live.properties import (
    NUMERIC_PROPERTIES,
    STATE,
    STATE_LEVEL_PREFIXES,
    states_for,
)

SCHEMAS = Path(__file__).parent / "schemas"
FUTURE_TOLERANCE = timedelta(minutes=5)
"""Clock skew allowed to devices: a time further ahead than this is refused as future."""
LEVEL = "illuminance_level"


@dataclass(frozen=True)
class Origin:
    """Where a message came from, kept so any of its entries can be dead-lettered verbatim."""

    channel: str
    topic: str
    payload: bytes
    sent_by: str | None = None
    """The device credential's name (HTTP); None over MQTT (the broker does not say)."""


@dataclass(frozen=True)
class Observation:
    asset_id: str
    property: str
    observed_at: datetime
    value: float | None
    value_text: str | None
    unit: str | None
    origin: Origin
    item: int | None


@dataclass(frozen=True)
class CameraIncident:
    """An incident a camera detected: kind accident, flooding or fire; position in EPSG:4326."""

    camera_id: str
    kind: str
    observed_at: datetime
    confidence: float
    position: tuple[float, float] | None
    snapshot: str | None
    origin: Origin


@dataclass(frozen=True)
class DeadLetter:
    origin: Origin
    item: int | None
    reason: str
    detail: str
    entry: bytes | None = None
    """The refused entry alone (JSON), when the rest of its message was kept."""

    @property
    def payload(self) -> bytes:
        """What is kept: the message as received, or the refused entry of an observations
        message (keeping the whole message once per bad entry would multiply it)."""
        return self.origin.payload if self.entry is None else self.entry


@dataclass
class Parsed:
    observations: list[Observation] = field(default_factory=list)
    incidents: list[CameraIncident] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.observations += other.observations
        self.incidents += other.incidents
        self.dead += other.dead


class Refused(Exception):
    """An entry the twin cannot use; ``reason`` is one of the dead-letter reasons."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 7) of ``schemas/<name>.json``."""
    return json.loads((SCHEMAS / f"{name}.json").read_text())  # type: ignore[no-any-return]


@cache
def validator(name: str) -> Callable[[Any], Any]:
    """``schemas/<name>.json`` compiled to Python (fastjsonschema): some 50 times quicker than an
    interpreting validator, which matters at tens of thousands of observations a second."""
    return fastjsonschema.compile(schema(name))  # type: ignore[no-any-return]


def _is_valid(name: str, doc: Any) -> bool:
    try:
        validator(name)(doc)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def parse_message(origin: Origin, now: datetime) -> Parsed:
    """Everything one message says, or why (part of) it cannot be used. ``now`` is aware UTC."""
    parts = origin.topic.split("/")
    kind = _topic_kind(parts)
    if kind is None:
        return _refused(origin, "unknown_topic", f"no message type is published on "
                        f"'{origin.topic}' (see docs/live.md for the topics under twin/)")
    try:
        doc = json.loads(origin.payload)
    except (UnicodeDecodeError, ValueError) as exc:
        return _refused(origin, "bad_json", f"not JSON: {exc}")
    if kind == "observations":
        return _observations(doc, origin, now)
    try:
        _check_schema(kind, doc)
        if kind == "device-state":
            return Parsed(observations=_device_state(parts[2], doc, origin, now))
        return _camera_event(parts[2], doc, origin, now)
    except Refused as refused:
        return _refused(origin, refused.reason, refused.detail)


def _topic_kind(parts: list[str]) -> str | None:
    if len(parts) >= 2 and parts[0] == "twin" and parts[1] == "observations" and all(parts[2:]):
        return "observations"
    if len(parts) == 4 and parts[0] == "twin" and parts[2]:
        return {("devices", "state"): "device-state",
                ("cameras", "events"): "camera-event"}.get((parts[1], parts[3]))
    return None


@cache
def max_observations() -> int:
    """Entries one observations message may carry (the schema's ``maxItems``)."""
    return int(schema("observations")["properties"]["observations"]["maxItems"])


def _refused(origin: Origin, reason: str, detail: str) -> Parsed:
    """The whole message refused."""
    return Parsed(dead=[DeadLetter(origin, None, reason, detail)])


def _check_schema(kind: str, doc: Any) -> None:
    """Refuse a document its schema refuses, naming the fault and where it is."""
    try:
        validator(kind)(doc)
    except fastjsonschema.JsonSchemaValueException as error:
        wrong_type = error.path[-1:] == ["value"] and error.rule == "type"
        raise Refused("wrong_type" if wrong_type else "bad_message",
                      f"{kind}: {error.message}") from None


def _observations(doc: Any, origin: Origin, now: datetime) -> Parsed:
    """Each entry stands alone: a bad one is dead-lettered with its index, the rest are kept."""
    items = doc.get("observations") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items or set(doc) != {"observations"}:
        return _refused(origin, "bad_message",
                        "observations message must be {\"observations\": [entry, ...]} "
                        "with at least one entry")
    most = max_observations()
    if len(items) > most:  # refused whole, whether or not each entry is good
        return _refused(origin, "bad_message", f"observations message has {len(items):,} "
                        f"entries; at most {most:,} per message")
    parsed = Parsed()
    fast = _is_valid("observations", doc)
    for index, item in enumerate(items):
        try:
            if not fast:
                _check_schema("observations", {"observations": [item]})
            parsed.observations.append(_observation(
                item["asset_id"], item["property"], item["value"], item.get("unit"), item["time"],
                origin, index, now))
        except Refused as refused:
            parsed.dead.append(DeadLetter(origin, index, refused.reason, refused.detail,
                                          entry=json.dumps(item).encode()))
    return parsed


def _observation(asset_id: str, prop: str, value: Any, unit: str | None, time: str,
                 origin: Origin, item: int | None, now: datetime) -> Observation:
    observed_at = _time(time, now)
    if prop == STATE:
        if not isinstance(value, str):
            raise Refused("wrong_type", f"{asset_id} state must be a word, got {value!r}")
        allowed = states_for(asset_id)
        if value not in allowed:
            raise Refused("out_of_range", f"{asset_id} cannot be '{value}': its states are "
                                          f"{', '.join(sorted(allowed))}")
        return Observation(asset_id, prop, observed_at, None, value, None, origin, item)
    spec = NUMERIC_PROPERTIES.get(prop)
    if spec is None:
        raise Refused("unknown_property", f"unknown property '{prop}'; known: state, "
                                          f"{', '.join(NUMERIC_PROPERTIES)}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Refused("wrong_type", f"{asset_id} {prop} must be a number in {spec.unit}, "
                                    f"got {value!r}")
    if unit is not None and unit != spec.unit:
        raise Refused("wrong_type", f"{asset_id} {prop} is in {spec.unit}, not {unit}")
    if not spec.minimum <= value <= spec.maximum or math.isnan(value):
        raise Refused("out_of_range", f"{asset_id} {prop} {value} {spec.unit} is outside its "
                                      f"physical range {spec.minimum:g}..{spec.maximum:g}")
    return Observation(asset_id, prop, observed_at, float(value), None, spec.unit, origin, item)


def _time(text: str, now: datetime) -> datetime:
    try:
        observed_at = datetime.fromisoformat(text)
    except ValueError:
        raise Refused("bad_message", f"time '{text}' is not an RFC 3339 date-time") from None
    if observed_at.tzinfo is None:
        raise Refused("bad_message", f"time '{text}' has no time zone (add Z or +07:00)")
    if observed_at > now + FUTURE_TOLERANCE:
        raise Refused("future_time", f"time {text} is in the future (now {now:%Y-%m-%dT%H:%M:%SZ})")
    return observed_at


def _device_state(asset_id: str, doc: dict[str, Any], origin: Origin,
                  now: datetime) -> list[Observation]:
    found = [_observation(asset_id, STATE, doc["state"], None, doc["time"], origin, None, now)]
    if "level" in doc:
        if asset_id.split("-", 1)[0] not in STATE_LEVEL_PREFIXES:
            raise Refused("bad_message", f"{asset_id} has no output level: only luminaires do")
        found.append(_observation(asset_id, LEVEL, doc["level"], None, doc["time"], origin,
                                  None, now))
    return found


def _camera_event(camera_id: str, doc: dict[str, Any], origin: Origin, now: datetime) -> Parsed:
    if doc["event"] != "incident":
        state = "offline" if doc["event"] == "offline" else "online"
        return Parsed(observations=[_observation(camera_id, STATE, state, None, doc["time"],
                                                 origin, None, now)])
    if not camera_id.startswith("CAM-"):
        raise Refused("unknown_asset", f"'{camera_id}' is not a camera id (CAM-NNNNNN)")
    seen = doc["incident"]
    position = seen.get("position")
    if position is not None and not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
        raise Refused("out_of_range", f"position {position} is not [longitude, latitude]")
    incident = CameraIncident(camera_id, seen["type"], _time(doc["time"], now),
                              float(seen["confidence"]),
                              tuple(position) if position else None,  # type: ignore[arg-type]
                              seen.get("snapshot"), origin)
    return Parsed(incidents=[incident])
