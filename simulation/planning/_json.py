"""Frames as plain JSON records: NaN as null, numpy numbers as Python ones, floats rounded."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any, digits: int = 4) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), digits)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v, digits) for v in value]
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as JSON-ready dicts."""
    return [{k: plain(v) for k, v in row.items()}
            for row in frame.reset_index(drop=True).to_dict(orient="records")]
