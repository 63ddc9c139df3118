"""What devices may report: each observed property with its unit and physical range, and the
device states each layer can be in.

A reading outside its physical range is a faulty device or a garbled message, never a state of the
city, so it is dead-lettered rather than stored. Units are UCUM symbols; names are snake_case
(FIWARE Streetlight's ``illuminanceLevel`` becomes ``illuminance_level``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NumericProperty:
    name: str
    unit: str
    minimum: float
    maximum: float
    description: str


NUMERIC_PROPERTIES: dict[str, NumericProperty] = {p.name: p for p in (
    NumericProperty("pressure", "kPa", 0.0, 2500.0, "water pressure (gauge)"),
    NumericProperty("flow", "m3/h", -50000.0, 50000.0, "water flow, negative against the pipe's direction"),
    NumericProperty("water_level", "m", -50.0, 200.0, "level in a tank, manhole or river"),
    NumericProperty("voltage", "V", 0.0, 500000.0, "line-to-neutral voltage at the asset"),
    NumericProperty("current", "A", 0.0, 20000.0, "current through the asset"),
    NumericProperty("load", "kW", -1.0e5, 1.0e5, "power drawn through the asset (negative: fed in)"),
    NumericProperty("illuminance_level", "1", 0.0, 1.0,
                    "luminaire output relative to full (FIWARE Streetlight illuminanceLevel)"),
    NumericProperty("temperature", "Cel", -40.0, 120.0, "temperature at the asset"),
    NumericProperty("rainfall", "mm/h", 0.0, 500.0, "rain intensity at a gauge"),
    NumericProperty("noise", "dB", 0.0, 200.0, "sound level (A-weighted)"),
    NumericProperty("air_quality", "ug/m3", 0.0, 5000.0, "PM2.5 concentration"),
)}

STATE = "state"
"""The text property of device states."""

COMMON_STATES = frozenset({"failed", "out_of_service", "in_service"})
LAYER_STATES: dict[str, frozenset[str]] = {
    "WV": frozenset({"open", "closed"}),        # water valves
    "SW": frozenset({"open", "closed"}),        # power switches
    "LUM": frozenset({"on", "off"}),            # luminaires
    "WPU": frozenset({"on", "off"}),            # water pumps
    "CAM": frozenset({"online", "offline"}),    # cameras (from their events)
}
"""States each layer (by id prefix) can report besides :data:`COMMON_STATES`."""

STATE_LEVEL_PREFIXES = frozenset({"LUM"})
"""Layers whose state messages may carry an output level (0..1)."""


def states_for(asset_id: str) -> frozenset[str]:
    """The states an asset can report, from its id prefix."""
    return COMMON_STATES | LAYER_STATES.get(asset_id.split("-", 1)[0], frozenset())
