"""EULUMDAT (.ldt) photometric files, every symmetry type (Isym 0-4).

Intensities in the file are cd per 1000 lm of lamp flux; they are scaled by the first lamp set's
total flux (its absolute value: some tools write a negative lamp count or flux for absolute
photometry). The file's own figure for the luminaire flux is LORL × that lamp flux.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.lighting._tokens import Tokens, read_lines
from simulation.lighting.photometry import Photometry, unfold
from twin.errors import InvalidInput

HEADER_LINES = 26
"""Lines 1-26 of the format: texts and figures up to the number of lamp sets."""


def read_ldt(path: str | Path, name: str | None = None) -> Photometry:
    """The photometry of the EULUMDAT file at ``path`` (named ``name`` or the file name)."""
    path = Path(path)
    source = str(path)
    lines = read_lines(path)
    if len(lines) < HEADER_LINES:
        raise InvalidInput(f"file ends at line {len(lines)}, before the header's "
                           f"{HEADER_LINES} lines: not a EULUMDAT file", source=source)
    head = Tokens(source, lines[1:7], 2)
    head.integer("type indicator Ityp")
    symmetry = head.integer("symmetry indicator Isym")
    if symmetry > 4:
        raise InvalidInput(f"symmetry indicator Isym must be 0-4, got {symmetry}", source=source,
                           where="line 3")
    n_planes = head.integer("number of C planes Mc", 1)
    head.number("distance between C planes Dc")
    n_gamma = head.integer("number of γ angles Ng", 1)
    figures = Tokens(source, lines[21:HEADER_LINES], 22)
    figures.number("downward flux fraction DFF")
    lorl = figures.number("light output ratio LORL")
    factor = figures.number("conversion factor for intensities")
    figures.number("tilt during measurement")
    n_sets = figures.integer("number of lamp sets", 1)
    lamp_flux = _first_lamp_flux(source, lines)
    after_sets = HEADER_LINES + 6 * n_sets + 10
    body = Tokens(source, lines[after_sets:], after_sets + 1)
    c = np.array(body.numbers(n_planes, "C angles"))
    g = np.array(body.numbers(n_gamma, "γ angles"))
    first, count = _measured_planes(symmetry, n_planes)
    values = np.array(body.numbers(count * n_gamma, "luminous intensities"))
    table = values.reshape(count, n_gamma) * factor * lamp_flux / 1000.0
    c_measured = np.array([0.0]) if symmetry == 1 else c[first:first + count]
    c, g, t = unfold(source, c_measured, g, table)
    return Photometry(name or path.name, c, g, t, rated_flux_lm=lorl / 100.0 * lamp_flux,
                      lamp_flux_lm=lamp_flux, notes={"lorl_percent": f"{lorl:g}",
                                                     "lamp_sets": str(n_sets)})


def _first_lamp_flux(source: str, lines: list[str]) -> float:
    """The first lamp set's total flux (lm). Each set is six lines (26a-26f: lamps, type,
    total flux, colour, colour rendering, watts), one set after another."""
    flux_line = HEADER_LINES + 2  # 26c of the first set
    flux = abs(Tokens(source, lines[flux_line:flux_line + 1], flux_line + 1).number(
        "total luminous flux of the lamps"))
    if flux == 0:
        raise InvalidInput("lamp flux is 0", source=source, where=f"line {flux_line + 1}")
    return flux


def _measured_planes(symmetry: int, n_planes: int) -> tuple[int, int]:
    """Index of the first measured C plane and how many the file holds (EULUMDAT Isym)."""
    return {0: (0, n_planes), 1: (0, 1), 2: (0, n_planes // 2 + 1),
            3: (n_planes // 4, n_planes // 2 + 1), 4: (0, n_planes // 4 + 1)}[symmetry]
