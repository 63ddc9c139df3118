"""Wards by code or name, and the area columns every roll-up starts with.

An area is a ward, a district or the whole city; every roll-up lists every area, so a ward with
nothing in a layer has a row of zeros rather than no row.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from twin.city import BAC_GIANG
from twin.errors import InvalidInput

LEVELS = ("ward", "district", "city")
AREA_COLUMNS = ["area_level", "area_code", "area_name"]
CITY_CODE = "city"
NO_WARD = "none"
"""The area code of assets outside every ward (they count in the city and in no ward), and at
the district level of those with no district."""
OUTSIDE_NAMES = {"ward": "outside every ward", "district": "outside every district"}
"""The area name of the ``NO_WARD`` row at each level."""
KINDS = ("phuong", "xa", "thi tran")
"""Plain words that name a unit's kind before its name (Phường, Xã, Thị trấn)."""


@dataclass(frozen=True)
class Ward:
    """A ward (or commune): GSO code, name, and the GSO code of its district."""

    code: str
    name: str
    district_code: str | None


def plain(name: str) -> str:
    """A name without accents, case or extra spaces: "Trần  Phú" -> "tran phu"."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _bare(name: str) -> str:
    """The plain name without its kind: "Phường Trần Phú" -> "tran phu"."""
    words = plain(name)
    for kind in KINDS:
        if words.startswith(kind + " "):
            return words[len(kind) + 1:]
    return words


def wards(conn: Connection) -> pd.DataFrame:
    """Every ward: code, name, district_code, ordered by code."""
    return pd.read_sql(text("SELECT id AS code, name, district_code FROM wards ORDER BY id"),
                       conn)


def resolve_ward(conn: Connection, name_or_code: str) -> Ward:
    """The ward with that GSO code or name (accents and case ignored, "Phường"/"Xã" optional);
    InvalidInput naming it and the closest names otherwise."""
    known = wards(conn)
    wanted = plain(str(name_or_code))
    for row in known.itertuples():
        if row.code == str(name_or_code).strip() or wanted in (plain(row.name),
                                                               _bare(row.name)):
            return Ward(row.code, row.name, row.district_code)
    names = {**{_bare(n): n for n in known["name"]}, **{plain(n): n for n in known["name"]}}
    close = [names[n] for n in difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.5)]
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else \
        f"; {len(known)} wards are known (GSO codes or names)"
    raise InvalidInput(f"unknown ward '{name_or_code}'{hint}")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise InvalidInput(f"unknown level '{level}'; levels: {', '.join(LEVELS)}")
    return level


def areas(conn: Connection, level: str, ward: str | None = None) -> pd.DataFrame:
    """The areas of ``level`` (area_level, area_code, area_name), narrowed to ``ward``'s at the
    ward level; a ward's district or the city otherwise."""
    check_level(level)
    if level == "city":
        return pd.DataFrame({"area_level": ["city"], "area_code": [CITY_CODE],
                             "area_name": [BAC_GIANG.name]})
    if level == "district":
        frame = pd.read_sql(text("SELECT id AS area_code, name AS area_name FROM districts "
                                 "ORDER BY id"), conn)
        if ward is not None:
            frame = frame[frame["area_code"] == resolve_ward(conn, ward).district_code]
        return frame.assign(area_level="district")[AREA_COLUMNS].reset_index(drop=True)
    frame = wards(conn).rename(columns={"code": "area_code", "name": "area_name"})
    if ward is not None:
        frame = frame[frame["area_code"] == resolve_ward(conn, ward).code]
    return frame.assign(area_level="ward")[AREA_COLUMNS].reset_index(drop=True)
