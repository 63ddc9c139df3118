"""Parsing the query strings of OGC API requests: bbox, limit, offset and property filters.

Pure functions; a bad value raises ``InvalidInput`` naming the parameter and the value (the web
answers 400 with that text).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from twin.errors import InvalidInput
from web.collections import Collection
from web.features import BBox, ItemsQuery

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 10
MAX_WHOLE = 2**63 - 1
"""The largest offset PostgreSQL takes (bigint)."""
RESERVED = frozenset({"bbox", "limit", "offset", "f", "datetime"})
"""Parameters that are not property filters (``datetime`` is accepted and ignored: the
collections have no time dimension)."""


def parse_bbox(value: str) -> BBox:
    """``minlon,minlat,maxlon,maxlat`` (or the 6-number 3D form, heights ignored), EPSG:4326."""
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise InvalidInput(f"bbox must be 4 numbers minlon,minlat,maxlon,maxlat; got '{value}'") \
            from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(f"bbox must be 4 numbers minlon,minlat,maxlon,maxlat; got '{value}'")
    xmin, ymin, xmax, ymax = numbers
    if not (-180 <= xmin <= 180 and -180 <= xmax <= 180 and -90 <= ymin <= ymax <= 90):
        raise InvalidInput(f"bbox is outside longitude/latitude or its minimum latitude exceeds "
                           f"its maximum: '{value}'")
    return xmin, ymin, xmax, ymax


def parse_value(collection: Collection, name: str, value: str) -> Any:
    """A filter value parsed to the type of the collection's column ``name``."""
    if name == "id":
        return value
    column = collection.column(name)
    if column is None or not column.plain:
        filterable = ", ".join(c.name for c in collection.plain_columns)
        raise InvalidInput(f"unknown query parameter '{name}' for collection '{collection.id}'; "
                           f"filter on one of: id, {filterable}")
    try:
        if column.kind is bool:
            return {"true": True, "false": False}[value.lower()]
        if column.kind in (date, datetime):
            return column.kind.fromisoformat(value)
        return column.kind(value)
    except (KeyError, ValueError):
        expected = {bool: "true or false", int: "a whole number", float: "a number",
                    date: "a date (YYYY-MM-DD)", datetime: "an ISO 8601 time"}
        raise InvalidInput(f"'{name}' must be {expected[column.kind]}; got '{value}'") from None


def items_query(collection: Collection, params: Mapping[str, str]) -> ItemsQuery:
    """The whole query of an items request: every parameter not reserved is a property filter."""
    limit = _whole(params.get("limit"), "limit", DEFAULT_LIMIT, minimum=1)
    offset = _whole(params.get("offset"), "offset", 0, minimum=0)
    bbox = parse_bbox(params["bbox"]) if params.get("bbox") else None
    filters = {name: parse_value(collection, name, value)
               for name, value in params.items() if name not in RESERVED}
    return ItemsQuery(bbox=bbox, filters=filters, limit=min(limit, MAX_LIMIT), offset=offset)


def _whole(value: str | None, name: str, default: int, minimum: int) -> int:
    """A whole number at least ``minimum``; a limit above the maximum is clamped by the caller,
    as OGC API Features asks."""
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"'{name}' must be a whole number; got '{value}'") from None
    if number < minimum:
        raise InvalidInput(f"'{name}' must be at least {minimum}; got {number}")
    if number > MAX_WHOLE:
        raise InvalidInput(f"'{name}' must be at most {MAX_WHOLE}; got {value[:40]}")
    return number
