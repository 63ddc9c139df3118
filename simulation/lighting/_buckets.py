"""Points in square buckets, to find every point within a radius of many centres at once with
array operations only (a KD-tree's ball query returns Python lists, slow for 10⁷ pairs)."""

from __future__ import annotations

import numpy as np

from simulation.lighting._arrays import ranks


class Buckets:
    """Points ``x``, ``y`` (m) sorted into square buckets of ``size`` metres."""

    def __init__(self, x: np.ndarray, y: np.ndarray, size: float = 16.0) -> None:
        self.x, self.y, self.size = x, y, size
        self.x0 = float(x.min()) if len(x) else 0.0
        self.y0 = float(y.min()) if len(y) else 0.0
        ix = ((x - self.x0) // size).astype(np.int64)
        iy = ((y - self.y0) // size).astype(np.int64)
        self.nx = int(ix.max()) + 1 if len(x) else 1
        self.ny = int(iy.max()) + 1 if len(y) else 1
        key = ix * self.ny + iy
        self.order = np.argsort(key, kind="stable")
        self.start = np.searchsorted(key[self.order], np.arange(self.nx * self.ny + 1))

    def within(self, cx: np.ndarray, cy: np.ndarray, radius: np.ndarray
               ) -> tuple[np.ndarray, ...]:
        """(centre index, point index, point x − centre x, point y − centre y) of every point
        within ``radius`` of each centre (offsets in m)."""
        lo_x = np.clip(((cx - radius - self.x0) // self.size).astype(np.int64), 0, self.nx)
        hi_x = np.clip(((cx + radius - self.x0) // self.size).astype(np.int64) + 1, 0, self.nx)
        lo_y = np.clip(((cy - radius - self.y0) // self.size).astype(np.int64), 0, self.ny)
        hi_y = np.clip(((cy + radius - self.y0) // self.size).astype(np.int64) + 1, 0, self.ny)
        # one run of buckets per centre and bucket column: iy lo..hi are contiguous keys
        columns = np.maximum(hi_x - lo_x, 0) * (hi_y > lo_y)
        centre = np.repeat(np.arange(len(cx)), columns)
        column = lo_x[centre] + ranks(columns)
        first = self.start[column * self.ny + lo_y[centre]]
        last = self.start[column * self.ny + hi_y[centre]]
        count = last - first
        centre = np.repeat(centre, count)
        point = self.order[np.repeat(first, count) + ranks(count)]
        dx, dy = self.x[point] - cx[centre], self.y[point] - cy[centre]
        near = dx * dx + dy * dy <= radius[centre] ** 2
        return centre[near], point[near], dx[near], dy[near]
