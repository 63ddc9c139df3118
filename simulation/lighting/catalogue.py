"""Photometry names as the twin's luminaires give them, resolved to distributions.

A name is ``builtin:<model>`` (``builtin.py``: scaled to the luminaire's wattage × the model's
efficacy), or the name of a distribution the caller supplies (read with ``read_photometry``
from an IES or EULUMDAT file: used at the file's own absolute intensities).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.lighting.builtin import OPTICS, PREFIX, builtin_names, builtin_photometry
from simulation.lighting.eulumdat import read_ldt
from simulation.lighting.ies import read_ies
from simulation.lighting.photometry import Photometry
from twin.errors import InvalidInput


def read_photometry(path: str | Path, name: str | None = None) -> Photometry:
    """An IES (.ies) or EULUMDAT (.ldt) file, by its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".ies":
        return read_ies(path, name)
    if suffix in (".ldt", ".eul"):
        return read_ldt(path, name)
    raise InvalidInput("photometric files must be .ies or .ldt", source=str(path))


def resolve(names: pd.Series, wattage_w: pd.Series,
            extra: Mapping[str, Photometry] | None = None
            ) -> tuple[tuple[Photometry, ...], np.ndarray, np.ndarray]:
    """Distributions used by luminaires named ``names`` (index = luminaire id): the distinct
    photometries, each luminaire's index into them, and its intensity scale."""
    extra = dict(extra or {})
    distinct = sorted(pd.unique(names.fillna("")))
    optics = []
    for name in distinct:
        if name in extra:  # known by the name the luminaires give it
            optics.append(extra[name] if extra[name].name == name
                          else replace(extra[name], name=name))
        elif name.removeprefix(PREFIX) in OPTICS and name.startswith(PREFIX):
            optics.append(builtin_photometry(name))
        else:
            who = names.index[names.fillna("") == name][0]
            known = ", ".join([*builtin_names(), *extra])
            raise InvalidInput(f"unknown photometry '{name}' (known: {known})",
                               where=f"luminaire {who}", column="photometry")
    index = pd.Index(distinct).get_indexer(names.fillna(""))
    efficacy = np.array([np.nan if n in extra else OPTICS[n.removeprefix(PREFIX)]
                         .efficacy_lm_per_w for n in distinct])[index]
    builtin = ~np.isnan(efficacy)
    watts = pd.to_numeric(wattage_w, errors="coerce").to_numpy(float)
    if np.any(builtin & ~(watts > 0)):
        who = names.index[builtin & ~(watts > 0)][0]
        raise InvalidInput("a built-in photometry needs the luminaire's wattage",
                           where=f"luminaire {who}", column="wattage_w")
    scale = np.where(builtin, watts * efficacy / 1000.0, 1.0)
    return tuple(optics), index, scale
