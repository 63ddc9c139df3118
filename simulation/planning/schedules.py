"""Dimming schedules as steps over the clock, and the lamps' burning hours from sunset to
sunrise at the city's place (the ``astral`` library), integrated exactly over each night,
across midnight.

A schedule is ``((time, level), ...)``: from each clock time the output is that level (0..1)
until the next step; before the first step of the day the last step's level holds (a step list
wraps round midnight). The named profiles are those of ``simulation.lighting.dimming``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import sunrise, sunset

from simulation.lighting.dimming import PROFILES, parse_hour
from twin.city import BAC_GIANG, CityProfile
from twin.errors import InvalidInput

Schedule = tuple[tuple[time, float], ...]
TIME_ZONE = "Asia/Ho_Chi_Minh"
DAY_S = 86400.0

SCHEDULES: dict[str, Schedule] = {
    "none": ((time(0, 0), 1.0),),
    "midnight-50": ((time(0, 0), 0.5), (time(12, 0), 1.0)),
    "dusk-dawn-70": ((time(0, 0), 0.7),),
}
"""``simulation.lighting.dimming.PROFILES`` as steps (checked against it in the tests)."""
KNOWN_PROFILES = tuple(PROFILES)


def schedule_of(profile: str | None) -> Schedule:
    """The named profile's schedule (None: full output)."""
    name = profile or "none"
    if name not in SCHEDULES:
        raise InvalidInput(f"unknown dimming profile '{name}'; known: {', '.join(SCHEDULES)}")
    return SCHEDULES[name]


def parse_schedule(steps: Sequence[Sequence[object]]) -> Schedule:
    """``[["HH:MM", level], ...]`` as a schedule; levels 0..1, distinct times."""
    if not steps:
        raise InvalidInput("a dimming schedule needs at least one [\"HH:MM\", level] step")
    parsed = []
    for step in steps:
        if len(step) != 2:
            raise InvalidInput(f"a schedule step is [\"HH:MM\", level], got {list(step)}")
        at = parse_hour(str(step[0]))
        level = float(step[1])  # type: ignore[arg-type]
        if not 0 <= level <= 1:
            raise InvalidInput(f"a dimming level must be 0..1, got {step[1]} at {step[0]}")
        parsed.append((at, level))
    times = [at for at, _ in parsed]
    if len(set(times)) != len(times):
        raise InvalidInput("a dimming schedule has two steps at the same time")
    return tuple(sorted(parsed))


def _seconds(at: time) -> float:
    return at.hour * 3600 + at.minute * 60 + at.second


def level_at(schedule: Schedule, at: time) -> float:
    """The schedule's level at a clock time."""
    level = schedule[-1][1]
    for start, value in schedule:
        if _seconds(start) <= _seconds(at):
            level = value
    return level


def lowest_level(schedule: Schedule) -> float:
    """The darkest level of the schedule (what the lighting check judges a road at)."""
    return min(level for _, level in schedule)


def equivalent_seconds(schedule: Schedule, start_s: float, end_s: float) -> float:
    """∫ level dt over [start_s, end_s], seconds from midnight of the night's first day (the
    end may pass midnight: 24 h + the next morning's time)."""
    if end_s <= start_s:
        return 0.0
    marks = sorted({start_s, end_s, *(day * DAY_S + _seconds(at) for day in range(
        int(start_s // DAY_S), int(end_s // DAY_S) + 1) for at, _ in schedule)})
    total = 0.0
    for a, b in zip(marks, marks[1:], strict=False):
        if start_s <= a < end_s:
            clock = (datetime.min + timedelta(seconds=a % DAY_S)).time()
            total += level_at(schedule, clock) * (min(b, end_s) - a)
    return total


@cache
def nights(year: int, city: CityProfile = BAC_GIANG) -> tuple[tuple[float, float], ...]:
    """Each night starting on a date of ``year``: (sunset, next sunrise) in seconds from
    midnight (local time) of the night's first day."""
    zone = ZoneInfo(TIME_ZONE)
    observer = Observer(latitude=city.centre_lat, longitude=city.centre_lon)
    out = []
    day = date(year, 1, 1)
    while day.year == year:
        dusk = sunset(observer, date=day, tzinfo=zone)
        dawn = sunrise(observer, date=day + timedelta(days=1), tzinfo=zone)
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        out.append(((dusk - midnight).total_seconds(), (dawn - midnight).total_seconds()))
        day += timedelta(days=1)
    return tuple(out)


def burning_hours(year: int, city: CityProfile = BAC_GIANG) -> float:
    """Sunset-to-sunrise hours over the nights that start in ``year``."""
    return sum(end - start for start, end in nights(year, city)) / 3600


def equivalent_hours(schedule: Schedule, night_list: Iterable[tuple[float, float]]) -> float:
    """Full-output hours equivalent to the schedule over those nights (h)."""
    return sum(equivalent_seconds(schedule, s, e) for s, e in night_list) / 3600
