"""IES LM-63 photometric files (1986, 1991, 1995, 2002), photometric type C only.

Intensities are the file's candela × candela multiplier × ballast factor. A relative file
(lumens per lamp > 0) states the flux of its lamps, lamps × lumens per lamp; the luminaire
flux is what the table integrates to. An absolute file (lumens per lamp = −1) states none.
``TILT=INCLUDE`` lamp-tilt tables are read past and ignored (they correct for a lamp's burning
position, which street lanterns keep as measured).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.lighting._tokens import Tokens, read_lines
from simulation.lighting.photometry import Photometry, unfold
from twin.errors import InvalidInput


def read_ies(path: str | Path, name: str | None = None) -> Photometry:
    """The photometry of the IES file at ``path`` (named ``name`` or the file name)."""
    path = Path(path)
    source = str(path)
    lines = read_lines(path)
    tilt = next((k for k, line in enumerate(lines) if line.strip().upper().startswith("TILT")),
                None)
    if tilt is None:
        raise InvalidInput("no TILT= line: not an IES LM-63 file", source=source)
    keywords = _keywords(lines[:tilt])
    tokens = Tokens(source, lines[tilt + 1:], tilt + 2)
    if lines[tilt].split("=", 1)[-1].strip().upper() == "INCLUDE":
        tokens.number("lamp-to-luminaire geometry")
        pairs = tokens.integer("number of tilt angles")
        tokens.numbers(2 * pairs, "tilt angles and factors")
    lamps = tokens.integer("number of lamps", 1)
    lumens = tokens.number("lumens per lamp")
    multiplier = tokens.number("candela multiplier")
    n_vertical = tokens.integer("number of vertical angles", 1)
    n_horizontal = tokens.integer("number of horizontal angles", 1)
    kind = tokens.integer("photometric type", 1)
    if kind != 1:
        raise InvalidInput(f"photometric type {kind} ({ {2: 'B', 3: 'A'}.get(kind, '?') }) is "
                           "not supported: only type C (1)", source=source,
                           where=f"line {tokens.line}")
    tokens.numbers(4, "units type and luminous dimensions")
    ballast = tokens.number("ballast factor")
    tokens.numbers(2, "ballast-lamp factor and input watts")
    vertical = np.array(tokens.numbers(n_vertical, "vertical angles"))
    horizontal = np.array(tokens.numbers(n_horizontal, "horizontal angles"))
    candela = np.array(tokens.numbers(n_vertical * n_horizontal, "candela values"))
    _check_increasing(source, vertical, "vertical")
    _check_increasing(source, horizontal, "horizontal")
    table = candela.reshape(n_horizontal, n_vertical) * multiplier * ballast
    c, g, t = unfold(source, horizontal, vertical, table)
    lamp_flux = lamps * lumens * multiplier if lumens > 0 else None
    return Photometry(name or path.name, c, g, t, rated_flux_lm=None, lamp_flux_lm=lamp_flux,
                      notes=keywords)


def _keywords(lines: list[str]) -> dict[str, str]:
    """``[KEYWORD] value`` lines of the header (the first line, the format, is kept as
    ``format``)."""
    found = {"format": lines[0].strip() if lines else ""}
    for line in lines:
        if line.startswith("[") and "]" in line:
            key, value = line[1:].split("]", 1)
            found[key.strip()] = (found.get(key.strip(), "") + " " + value.strip()).strip()
    return found


def _check_increasing(source: str, angles: np.ndarray, which: str) -> None:
    if np.any(np.diff(angles) <= 0):
        raise InvalidInput(f"{which} angles must increase", source=source)
