"""Array helpers shared by the grid, the buckets and the crowns."""

from __future__ import annotations

import numpy as np


def ranks(counts: np.ndarray) -> np.ndarray:
    """0 … counts[0]−1, 0 … counts[1]−1, …: each element's position within its run, for runs
    of ``counts`` elements laid end to end (expanding ranges without a Python loop)."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
