"""Dimming profiles: a luminaire's output (0..1 of full) at a time of night.

The lamps burn from dusk (18:00) to dawn (06:00) local time, Bắc Giang's year-round night within
half an hour; by day every profile is 0 (off). Profiles, as the demo city names them:

- ``none``: full output all night;
- ``midnight-50``: full until midnight, 50 % from midnight to dawn;
- ``dusk-dawn-70``: 70 % all night.
"""

from __future__ import annotations

from datetime import time

from twin.errors import InvalidInput

DUSK = time(18, 0)
DAWN = time(6, 0)


def _midnight_50(at: time) -> float:
    return 1.0 if at >= DUSK else 0.5


PROFILES = {"none": lambda at: 1.0, "midnight-50": _midnight_50, "dusk-dawn-70": lambda at: 0.7}


def output_level(profile: str | None, at: time | None) -> float:
    """Output of ``profile`` at ``at`` (None: full output, the design case); a missing
    profile means none."""
    name = profile or "none"
    if name not in PROFILES:
        raise InvalidInput(f"unknown dimming profile '{name}'; known: {', '.join(PROFILES)}")
    if at is None:
        return 1.0
    if at.tzinfo is not None:  # comparing it with the profile's hours would raise TypeError
        raise InvalidInput(f"the time of night must be the city's local time without a zone "
                           f"(HH:MM); got {at.isoformat()}")
    if DAWN <= at < DUSK:
        return 0.0
    return PROFILES[name](at)


def parse_hour(text: str) -> time:
    """'HH:MM' (24 h) as a time of day."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return time(hours, minutes)
    except ValueError:
        raise InvalidInput(f"time must be HH:MM (24 h), got '{text}'") from None
