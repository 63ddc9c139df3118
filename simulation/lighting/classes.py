"""EN 13201-2:2015 lighting classes that are set by horizontal illuminance on the road.

C classes (conflict areas; Table 3): maintained average illuminance Ē (lx) and overall
uniformity U0 = Emin / Ē. P classes (pedestrian and low-speed areas; Table 4): Ē and the
maintained minimum illuminance Emin (lx). EN 13201-2:2015, "Road lighting - Part 2: Performance
requirements", tables 3 and 4 (the EN states each Ē as a minimum that should not be exceeded by
more than 50 %; that ceiling is not checked here). The M classes (luminance) are not computed:
roads whose class family would be M are judged on the C scale, as EN 13201-2 allows where
luminance is not used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

C_CLASSES = pd.DataFrame({"eav": [50.0, 30.0, 20.0, 15.0, 10.0, 7.5],
                          "u0": [0.40, 0.40, 0.40, 0.40, 0.40, 0.40]},
                         index=["C0", "C1", "C2", "C3", "C4", "C5"])
"""EN 13201-2:2015 Table 3: Ē ≥ eav (lx), U0 ≥ u0."""

P_CLASSES = pd.DataFrame({"eav": [15.0, 10.0, 7.5, 5.0, 3.0, 2.0],
                          "emin": [3.0, 2.0, 1.5, 1.0, 0.6, 0.4]},
                         index=["P1", "P2", "P3", "P4", "P5", "P6"])
"""EN 13201-2:2015 Table 4: Ē ≥ eav (lx), Emin ≥ emin (lx)."""

C_FAMILY_ROADS = frozenset({"motorway", "trunk", "primary", "secondary"})
"""Road classes judged on the C scale (traffic routes); every other road on the P scale."""


def best_c_class(eav: np.ndarray, u0: np.ndarray) -> np.ndarray:
    """The highest C class each road meets, or None."""
    return _best(C_CLASSES, (eav[:, None] >= C_CLASSES["eav"].to_numpy())
                 & (u0[:, None] >= C_CLASSES["u0"].to_numpy()))


def best_p_class(eav: np.ndarray, emin: np.ndarray) -> np.ndarray:
    """The highest P class each road meets, or None."""
    return _best(P_CLASSES, (eav[:, None] >= P_CLASSES["eav"].to_numpy())
                 & (emin[:, None] >= P_CLASSES["emin"].to_numpy()))


def _best(table: pd.DataFrame, met: np.ndarray) -> np.ndarray:
    names = np.array([*table.index, None], dtype=object)
    first = np.where(met.any(axis=1), met.argmax(axis=1), len(table))
    return names[first]
