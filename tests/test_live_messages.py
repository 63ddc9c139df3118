"""Message formats: the schemas accept their own examples, and each kind of fault is named."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from ingest.live.messages import Origin, max_observations, parse_message, schema

EXAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "live" / "examples"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TIME = "2026-11-28T11:59:00Z"


def parse(topic: str, doc: object):
    payload = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return parse_message(Origin("mqtt", topic, payload), NOW)


@pytest.mark.parametrize("name", ["observations", "device-state", "camera-event"])
def test_examples_follow_their_schema(name):
    """Checked by another implementation than the ingester's (jsonschema, not fastjsonschema)."""
    document = schema(name)
    checker = validator_for(document)
    checker.check_schema(document)
    checker(document).validate(json.loads((EXAMPLES / f"{name}.json").read_text()))


def test_examples_parse_without_faults():
    for topic, name in (("twin/observations/gateway-7", "observations"),
                        ("twin/devices/LUM-000001/state", "device-state"),
                        ("twin/cameras/CAM-000002/events", "camera-event")):
        parsed = parse(topic, (EXAMPLES / f"{name}.json").read_bytes())
        assert not parsed.dead, parsed.dead


def test_observations_are_read_with_their_unit_and_time():
    parsed = parse("twin/observations", {"observations": [
        {"asset_id": "SEN-000001", "property": "pressure", "value": 310, "unit": "kPa",
         "time": "2026-11-28T18:00:00+07:00"}]})
    (obs,) = parsed.observations
    assert (obs.asset_id, obs.property, obs.value, obs.unit) == ("SEN-000001", "pressure", 310.0, "kPa")
    assert obs.observed_at == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert obs.item == 0


@pytest.mark.parametrize("entry, reason", [
    ({"asset_id": "SEN-000001", "property": "pressure", "value": "high", "time": TIME}, "wrong_type"),
    ({"asset_id": "SEN-000001", "property": "pressure", "value": [1], "time": TIME}, "wrong_type"),
    ({"asset_id": "SEN-000001", "property": "pressure", "value": 3, "unit": "bar", "time": TIME},
     "wrong_type"),
    ({"asset_id": "SEN-000001", "property": "pressure", "value": 9000, "time": TIME}, "out_of_range"),
    ({"asset_id": "SEN-000001", "property": "voltage", "value": -5, "time": TIME}, "out_of_range"),
    ({"asset_id": "SEN-000001", "property": "pressure", "value": 300,
      "time": "2026-11-28T13:00:00Z"}, "future_time"),
    ({"asset_id": "SEN-000001", "property": "pressure", "value": 300,
      "time": "2026-11-28T11:00:00"}, "bad_message"),
    ({"asset_id": "SEN-000001", "property": "colour", "value": 3, "time": TIME}, "unknown_property"),
    ({"asset_id": "WV-000001", "property": "state", "value": "on", "time": TIME}, "out_of_range"),
    ({"asset_id": "SEN-000001", "property": "pressure", "time": TIME}, "bad_message"),
])
def test_a_bad_entry_is_refused_and_the_rest_kept(entry, reason):
    good = {"asset_id": "SEN-000002", "property": "pressure", "value": 250.5, "time": TIME}
    parsed = parse("twin/observations", {"observations": [good, entry]})
    assert [o.asset_id for o in parsed.observations] == ["SEN-000002"]
    (dead,) = parsed.dead
    assert (dead.reason, dead.item) == (reason, 1), dead.detail


@pytest.mark.parametrize("topic, payload, reason", [
    ("twin/observations", b"{not json", "bad_json"),
    ("twin/observations", b"\xff\xfe", "bad_json"),
    ("twin/observations", {"observations": []}, "bad_message"),
    ("twin/elsewhere/x", {"state": "on", "time": TIME}, "unknown_topic"),
    ("twin/devices/WV-000001/state", {"state": "half", "time": TIME}, "bad_message"),
    ("twin/devices/WV-000001/state", {"state": "open", "level": 0.5, "time": TIME}, "bad_message"),
    ("twin/devices/LUM-000001/state", {"state": "on", "level": 1.5, "time": TIME}, "out_of_range"),
    ("twin/devices/LUM-000001/state", {"state": "open", "time": TIME}, "out_of_range"),
    ("twin/cameras/CAM-000001/events", {"event": "incident", "time": TIME}, "bad_message"),
    ("twin/cameras/CAM-000001/events", {"event": "offline", "time": "2027-01-01T00:00:00Z"},
     "future_time"),
])
def test_a_bad_message_is_refused_whole(topic, payload, reason):
    parsed = parse(topic, payload)
    assert not parsed.observations and not parsed.incidents
    (dead,) = parsed.dead
    assert (dead.reason, dead.item) == (reason, None), dead.detail
    assert dead.origin.payload == (payload if isinstance(payload, bytes) else json.dumps(payload).encode())


def test_too_many_entries_are_refused_whole_even_with_a_bad_one():
    good = {"asset_id": "SEN-000001", "property": "pressure", "value": 310.0, "unit": "kPa",
            "time": TIME}
    entries = [good] * max_observations() + [{**good, "value": "high"}]
    parsed = parse("twin/observations/flood", {"observations": entries})
    assert not parsed.observations
    (dead,) = parsed.dead
    assert dead.reason == "bad_message" and f"{max_observations():,} per message" in dead.detail


def test_device_state_and_camera_events():
    lamp = parse("twin/devices/LUM-000001/state", {"state": "on", "level": 0.4, "time": TIME})
    assert [(o.property, o.value, o.value_text) for o in lamp.observations] == [
        ("state", None, "on"), ("illuminance_level", 0.4, None)]
    offline = parse("twin/cameras/CAM-000001/events", {"event": "offline", "time": TIME})
    assert [(o.asset_id, o.value_text) for o in offline.observations] == [("CAM-000001", "offline")]
    fire = parse("twin/cameras/CAM-000001/events", {
        "event": "incident", "time": TIME,
        "incident": {"type": "fire", "confidence": 0.8, "position": [106.2, 21.27]}})
    (seen,) = fire.incidents
    assert (seen.camera_id, seen.kind, seen.confidence, seen.position) == (
        "CAM-000001", "fire", 0.8, (106.2, 21.27))
