"""Reading an EPANET model (.inp) with WNTR, tolerantly: a file WNTR refuses is read again from a
repaired temporary copy (the file itself is never changed), with a note for each repair.

The repairs: Latin-1 text (older Spanish or Portuguese models) made UTF-8, and a [BACKDROP]
section (display settings only) that WNTR refuses, such as the Hà Nội benchmark's
``UNITS Ninguno``, left out. Any other fault is InvalidInput naming the file and WNTR's reason.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

import wntr
from wntr.epanet.exceptions import EpanetException

from twin.errors import InvalidInput


def load(path: Path, notes: list[str]) -> tuple[wntr.network.WaterNetworkModel, str]:
    """The model and the file's text. A file WNTR refuses is tried again from repaired temporary
    copies: Latin-1 text made UTF-8, then a [BACKDROP] section left out; each repair is noted."""
    if not path.is_file():
        raise InvalidInput("no such file", source=path.name)
    raw = path.read_bytes()
    try:
        text, latin = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, latin = raw.decode("latin-1"), True
    try:
        wn = _parse(path, path.name)
    except InvalidInput as first:
        wn = _repaired(text, latin, path.name, first, notes)
    if not wn.num_nodes:
        raise InvalidInput("holds no network: no junctions, reservoirs or tanks", source=path.name)
    return wn, text


def refuse_unplaced(wn: wntr.network.WaterNetworkModel, text: str) -> None:
    """InvalidInput unless every node has [COORDINATES] in ``text`` (the file's text)."""
    placed = _section_names(text, "COORDINATE")
    missing = [n for n in wn.node_name_list if n not in placed]
    if missing:
        raise InvalidInput(f"node '{missing[0]}' has no [COORDINATES] ({len(missing)} of "
                           f"{wn.num_nodes} nodes have none): the twin must know where each is")


def _repaired(text: str, latin: bool, name: str, first: InvalidInput,
              notes: list[str]) -> wntr.network.WaterNetworkModel:
    encoding = ["the file is not UTF-8: it was read as Latin-1"] if latin else []
    reason = "" if latin else f": {first.rule.removeprefix('not a valid EPANET file: ')}"
    attempts = [(text, encoding)] if latin else []
    without = _without_section(text, "BACKDROP")
    if without != text:
        attempts.append((without, [*encoding, "the [BACKDROP] section (display settings only) "
                                   f"was ignored: WNTR refuses it{reason}"]))
    for variant, repairs in attempts:
        with tempfile.TemporaryDirectory(prefix="twin-epanet-") as folder:
            copy = Path(folder) / name
            copy.write_text(variant, encoding="utf-8")
            try:
                wn = _parse(copy, name)
            except InvalidInput:
                continue
        notes.extend(repairs)
        return wn
    raise first


def _parse(path: Path, name: str) -> wntr.network.WaterNetworkModel:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return wntr.network.WaterNetworkModel(str(path))
    except Exception as exc:  # WNTR raises many kinds of exception on bad input
        raise InvalidInput(f"not a valid EPANET file: {_reason(exc, path)}", source=name) from None


def _reason(exc: BaseException, path: Path) -> str:
    """WNTR's most specific message: the innermost EPANET error in the chain, else its own."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    specific = [e for e in chain if isinstance(e, EpanetException)] or [exc]
    chosen = specific[-1]
    message = str(chosen.args[0]) if chosen.args else str(chosen)
    first = (message.strip().splitlines() or [type(chosen).__name__])[0]
    return first.replace(str(path), path.name)


def _without_section(text: str, section: str) -> str:
    return re.sub(rf"(?ims)^[ \t]*\[{section}\][^\n]*\n.*?(?=^[ \t]*\[|\Z)", "", text)


def _section_names(text: str, section: str) -> set[str]:
    """First words of the data lines of ``[section]``."""
    match = re.search(rf"(?ims)^[ \t]*\[{section}S?\][^\n]*\n(.*?)(?=^[ \t]*\[|\Z)", text)
    lines = match.group(1).splitlines() if match else []
    return {words[0] for line in lines if (words := line.split(";")[0].split())}
