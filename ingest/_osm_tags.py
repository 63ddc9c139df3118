"""OpenStreetMap tag values as the twin's units: lengths in m, voltages in kV, ratings in kVA.

Every parser returns None for a value it cannot read with confidence; :class:`Tags` then leaves
the tag in the feature's ``attributes``, so nothing the mapper wrote is lost.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

T = TypeVar("T")

_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_LENGTH = re.compile(rf"^{_NUMBER}\s*(m|cm|mm|km|ft|feet|foot|'|\"|in|inch|inches|mi)?$")
_FEET_INCHES = re.compile(rf"^(\d+)\s*'\s*{_NUMBER}\s*\"$")
_DN = re.compile(rf"^DN\s*{_NUMBER}$", re.IGNORECASE)
_METRES = {"m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0, "mi": 1609.344, "ft": 0.3048,
           "feet": 0.3048, "foot": 0.3048, "'": 0.3048, '"': 0.0254, "in": 0.0254,
           "inch": 0.0254, "inches": 0.0254}
_WITH_UNIT = re.compile(rf"^{_NUMBER}\s*([a-zA-Z]*)$")
_CARDINALS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
              "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
_YEAR = re.compile(r"^~?(\d{4})(?:-(\d\d)(?:-(\d\d))?)?$")


def _number(value: str) -> str:
    """A decimal comma (``7,5``) read as a point; a list (``7;8``) is left to fail."""
    value = value.strip()
    return value.replace(",", ".") if value.count(",") == 1 and ";" not in value else value


def length(value: str, default_unit: str = "m") -> float | None:
    """A positive length in metres: ``7``, ``7.5 m``, ``250 cm``, ``4"``, ``12'6"``, ``DN100``."""
    value = _number(value)
    if match := _FEET_INCHES.match(value):
        metres = int(match[1]) * 0.3048 + float(match[2]) * 0.0254
    elif match := _DN.match(value):
        metres = float(match[1]) / 1000
    elif match := _LENGTH.match(value):
        metres = float(match[1]) * _METRES[match[2] or default_unit]
    else:
        return None
    return metres if metres > 0 else None


def millimetres(value: str) -> float | None:
    """A diameter in mm; bare numbers are mm (OSM's convention for pipes and hydrants)."""
    metres = length(value, default_unit="mm")
    return None if metres is None else round(metres * 1000, 3)


def integer(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def voltages_kv(value: str) -> list[float] | None:
    """Each circuit's voltage in kV from OSM's volts (``110000;20000``), highest first."""
    found = []
    for part in value.split(";"):
        match = _WITH_UNIT.match(_number(part))
        if not match:
            return None
        scale = {"": 0.001, "v": 0.001, "kv": 1.0}.get(match[2].lower())
        if scale is None or float(match[1]) <= 0:
            return None
        found.append(float(match[1]) * scale)
    return sorted(found, reverse=True) or None


def rating_kva(value: str) -> float | None:
    """Apparent power in kVA from ``630 kVA``, ``0.63 MVA``; a bare number has no sure unit."""
    match = _WITH_UNIT.match(_number(value))
    scale = {"va": 0.001, "kva": 1.0, "mva": 1000.0}.get(match[2].lower()) if match else None
    return None if match is None or scale is None else float(match[1]) * scale


def watts(value: str) -> float | None:
    """Electric power in W from ``150``, ``150 W``, ``0.15 kW``."""
    match = _WITH_UNIT.match(_number(value))
    scale = {"": 1.0, "w": 1.0, "kw": 1000.0}.get(match[2].lower()) if match else None
    return None if match is None or scale is None else float(match[1]) * scale


def direction_deg(value: str) -> float | None:
    """Degrees clockwise from north, from ``45`` or a compass point (``NE``)."""
    value = value.strip().upper()
    if value in _CARDINALS:
        return _CARDINALS.index(value) * 22.5
    try:
        degrees = float(value)
    except ValueError:
        return None
    return degrees % 360 if math.isfinite(degrees) else None


def flag(value: str) -> bool | None:
    """``yes``/``no`` and their OSM synonyms; other values (``reversible``) stay unread."""
    value = value.strip().lower()
    if value in ("yes", "true", "1", "24/7", "automatic", "sunset-sunrise", "limited"):
        return True
    return False if value in ("no", "false", "0", "disused") else None


def year(value: str) -> int | None:
    """The year of an OSM date (``1998``, ``1998-05``, ``~1998``)."""
    match = _YEAR.match(value.strip())
    return int(match[1]) if match else None


def full_date(value: str) -> date | None:
    match = _YEAR.match(value.strip())
    if not match or not match[3]:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


class Tags:
    """One feature's tags as one layer reads them: what it reads is used, the rest is kept.

    A tag counts as used only when its value was understood, so an unreadable value
    (``width=narrow``) stays in ``rest()``, which becomes the row's ``attributes``.
    """

    def __init__(self, tags: Mapping[str, str], *used: str) -> None:
        self._tags = tags
        self._used = set(used)

    def get(self, key: str) -> str | None:
        return self._tags.get(key)

    def take(self, *keys: str) -> str | None:
        """The first of ``keys`` present, as is."""
        return self.read(lambda v: v, *keys)

    def read(self, parse: Callable[[str], T | None], *keys: str) -> T | None:
        """The first of ``keys`` whose value ``parse`` understands."""
        for key in keys:
            value = self._tags.get(key)
            if value is not None and (parsed := parse(value)) is not None:
                self._used.add(key)
                return parsed
        return None

    def use(self, *keys: str) -> None:
        self._used.update(keys)

    def common(self) -> dict[str, Any]:
        """The columns every asset has: install year (from ``start_date``) and attributes."""
        install_year = self.read(year, "start_date")
        rest = {k: v for k, v in self._tags.items() if k not in self._used}
        return {"install_year": install_year, "attributes": rest or None}
