"""Values from files, converted to the types of the twin's columns.

A GIS file or CSV brings text, numbers or booleans in any mix; each column is converted to its
table type (numbers, whole numbers, booleans, ISO dates, a JSON object for ``attributes``, text),
an empty cell takes the column's default, and the first value that does not convert is named with
its row and column. The table's own rules (CHECKs, NOT NULL) are tested afterwards by
``twin.validate``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Column, Date, Float, Integer, Table
from sqlalchemy.dialects.postgresql import JSONB

from twin.errors import InvalidInput
from twin.validate import short

_TRUE, _FALSE = {"true", "t", "yes", "y", "1", "1.0"}, {"false", "f", "no", "n", "0", "0.0"}


def converted_values(frame: gpd.GeoDataFrame, table: Table, unit: str) -> gpd.GeoDataFrame:
    """Each column converted to its table type, empty cells given the column's default."""
    out = frame.copy()
    for name in frame.columns:
        if name == frame.geometry.name:
            continue
        column = table.columns[name]
        values = _with_default(column, frame[name].astype(object).where(frame[name].notna(), None))
        out[name] = _converted(column, values, unit)
    return out


def numbers(values: pd.Series, unit: str, column: str) -> pd.Series:
    """Numbers (float64, NaN where empty), or InvalidInput naming the first that is not one."""
    result = pd.to_numeric(values.map(_number, na_action="ignore"), errors="coerce")
    result = result.astype("float64")
    _refuse(values, values.notna() & ~np.isfinite(result), unit, column, "is not a number")
    return result


def _with_default(column: Column[Any], values: pd.Series) -> pd.Series:
    default = getattr(column.server_default, "arg", None)
    return values.fillna(default) if isinstance(default, str) else values


def _converted(column: Column[Any], values: pd.Series, unit: str) -> pd.Series:
    kind = column.type
    if isinstance(kind, Integer):
        whole = numbers(values, unit, column.name)
        _refuse(values, whole.notna() & (whole % 1 != 0), unit, column.name, "is not a whole number")
        return whole.astype("Int64")
    if isinstance(kind, Float):
        return numbers(values, unit, column.name)
    convert, expected = {
        Boolean: (_boolean, "is not true or false (or yes/no, 1/0)"),
        Date: (_date, "is not a date (YYYY-MM-DD)"),
        JSONB: (_json_object, "is not a JSON object"),
    }.get(type(kind), (_text, ""))
    converted = values.map(convert, na_action="ignore")
    _refuse(values, values.notna() & converted.isna(), unit, column.name, expected)
    if isinstance(kind, Boolean):
        return converted.astype("boolean")
    return pd.to_datetime(converted) if isinstance(kind, Date) else converted


def _refuse(values: pd.Series, bad: pd.Series, unit: str, column: str, rule: str) -> None:
    if bad.any():
        n = bad.index[bad][0]
        raise InvalidInput(f"'{short(values[n])}' {rule}", where=f"{unit} {n}", column=column)


def _number(value: Any) -> float | None:
    if isinstance(value, bool | np.bool_):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _boolean(value: Any) -> bool | None:
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _date(value: Any) -> pd.Timestamp | None:
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return None
    if isinstance(value, int | float | np.number):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp.normalize()


def _json_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
