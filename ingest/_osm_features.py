"""Which OSM features become which of the twin's rows, and how their tags fill its columns.

Each function reads one feature's tags for one layer and returns that layer's columns (without
geometry); what it does not read stays in ``attributes``. Units are the twin's: m, mm, kV, kVA,
W and degrees clockwise from north.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ingest import _osm_tags as parse
from ingest._osm_tags import Tags
from layers.roads import ROAD_CLASSES

Columns = dict[str, Any]
TagMap = Mapping[str, str]

_PATHS = ("footway", "cycleway", "steps", "bridleway")
_USES = {
    "residential": ("house", "detached", "apartments", "residential", "terrace", "dormitory",
                    "semidetached_house", "bungalow", "cabin", "farm"),
    "commercial": ("commercial", "retail", "office", "supermarket", "kiosk", "hotel"),
    "industrial": ("industrial", "warehouse", "factory", "manufacture"),
    "public": ("public", "civic", "government", "school", "university", "college",
               "kindergarten", "hospital", "church", "chapel", "cathedral", "mosque", "temple",
               "train_station", "transportation", "fire_station"),
}
_USE = {value: use for use, values in _USES.items() for value in values}
_LAMPS = {"led": "LED", "high_pressure_sodium": "HPS", "sodium": "HPS", "hps": "HPS",
          "low_pressure_sodium": "LPS", "lps": "LPS", "metal-halide": "MH", "metal_halide": "MH",
          "mh": "MH", "fluorescent": "CFL", "compact_fluorescent": "CFL", "cfl": "CFL",
          "incandescent": "incandescent", "halogen": "incandescent"}
_CAMERAS = {"fixed": "fixed", "dome": "dome", "panning": "ptz", "ptz": "ptz"}
_SWITCHES = {"circuit_breaker": "breaker", "disconnector": "disconnector", "fuse": "fuse",
             "recloser": "recloser", "load_break": "load_break"}
_STATES = {"open": "open", "closed": "closed", "normally_open": "open",
           "normally_closed": "closed"}
_WATER = {"river": "river", "oxbow": "river", "stream": "river", "canal": "canal",
          "lake": "lake", "lagoon": "lake", "pond": "pond", "reservoir": "reservoir",
          "basin": "basin"}


class Notes:
    """What the reader left out or assumed, told to the user after the import."""

    def __init__(self) -> None:
        self.skipped: dict[str, list[str]] = {}
        self.absent: Counter[str] = Counter()
        self.assumed: Counter[str] = Counter()

    def skip(self, what: str, ref: str) -> None:
        self.skipped.setdefault(what, []).append(ref)

    def lines(self) -> list[str]:
        lines = []
        for what, refs in self.skipped.items():
            more = f" and {len(refs) - 5:,} more" if len(refs) > 5 else ""
            lines.append(f"skipped {len(refs):,} {what}: {', '.join(refs[:5])}{more}")
        lines.extend(f"{what}: {count:,}" for what, count in self.assumed.items())
        if self.absent:
            listed = ", ".join(f"{what} {n:,}" for what, n in self.absent.most_common())
            lines.append(f"not imported (the twin has no layer for them): {listed}")
        return lines


def _voltage_level(kv: float) -> str:
    return "HV" if kv >= 66 else "MV" if kv >= 1 else "LV"


# -- roads ------------------------------------------------------------------------------------
def road(tags: TagMap, notes: Notes) -> tuple[Columns, bool] | None:
    """The ``roads`` columns of a highway way and whether it is drawn against the traffic
    (``oneway=-1``), or None when the twin does not model that kind of highway."""
    highway = tags["highway"]
    road_class = "path" if highway in _PATHS else highway.removesuffix("_link")
    if road_class == "road":
        road_class = "unclassified"
    if road_class not in ROAD_CLASSES or tags.get("area") == "yes":
        notes.absent[f"highway={highway} {'areas' if tags.get('area') == 'yes' else 'ways'}"] += 1
        return None
    t = Tags(tags, "highway")
    oneway = tags.get("oneway")
    reverse = oneway in ("-1", "reverse")
    if reverse:
        t.use("oneway")
    columns = {
        "name": t.take("name"), "road_class": road_class, "width_m": t.read(parse.length, "width"),
        "lanes": t.read(parse.integer, "lanes"), "surface": t.take("surface"),
        "lit": t.read(parse.flag, "lit"),
        "oneway": True if reverse else t.read(parse.flag, "oneway"),
    }
    if oneway is None and (highway == "motorway"
                           or tags.get("junction") in ("roundabout", "circular")):
        columns["oneway"] = True  # implied by OSM's conventions
    return columns | t.common(), reverse


# -- areas ------------------------------------------------------------------------------------
def building(tags: TagMap) -> Columns | None:
    value = tags.get("building")
    if value is None or value == "no":
        return None
    t = Tags(tags)
    use = _USE.get(value, None if value == "yes" else value)
    if use in (value, None):
        t.use("building")
    return {"name": t.take("name"), "use": use, "height_m": t.read(parse.length, "height"),
            "levels": t.read(parse.integer, "building:levels")} | t.common()


def water_area(tags: TagMap) -> Columns | None:
    """Rivers, lakes, ponds and reservoirs (``water_areas`` keeps no other attributes)."""
    if tags.get("natural") == "water":
        water = tags.get("water")
        kind = _WATER.get(water, water) if water else None
    elif tags.get("waterway") == "riverbank":
        kind = "river"
    elif tags.get("landuse") in ("reservoir", "basin"):
        kind = tags["landuse"]
    else:
        return None
    return {"name": tags.get("name"), "kind": kind}


def area_layers(tags: TagMap) -> list[str]:
    """The polygon layers a closed way or multipolygon with these tags belongs to."""
    return [name for name, read in (("buildings", building), ("water_areas", water_area))
            if read(tags) is not None]


# -- lines ------------------------------------------------------------------------------------
def line(tags: TagMap, notes: Notes) -> tuple[str, Columns] | None:
    """Power lines and cables, water and drainage pipelines."""
    power = tags.get("power")
    if power in ("line", "minor_line", "cable"):
        return "power_lines", _power_line(tags, power, notes)
    if tags.get("man_made") == "pipeline":
        return _pipeline(tags, notes)
    return None


def _power_line(tags: TagMap, power: str, notes: Notes) -> Columns:
    t = Tags(tags, "power")
    voltages = t.read(parse.voltages_kv, "voltage")
    if voltages:
        level = _voltage_level(voltages[0])
    elif power == "minor_line":
        level = "LV"
    else:
        level = "MV"
        notes.assumed[f"power {power}s with no voltage tag, taken as MV"] += 1
    underground = tags.get("location") == "underground" if power != "cable" else \
        tags.get("location") != "overhead"
    return {"voltage_level": level, "voltage_kv": voltages[0] if voltages else None,
            "construction": "underground" if underground else "overhead"} | t.common()


def _pipeline(tags: TagMap, notes: Notes) -> tuple[str, Columns] | None:
    key = "substance" if "substance" in tags else "type"  # type=* is the older spelling
    substance = tags.get(key)
    t = Tags(tags, "man_made", key)
    columns = {"diameter_mm": t.read(parse.millimetres, "diameter"),
               "material": t.take("material")}
    if substance == "water":
        return "water_pipes", columns | t.common()
    if substance in ("sewage", "wastewater", "rainwater"):
        kind = "storm" if substance == "rainwater" else "sewer"
        return "drainage_pipes", columns | {"kind": kind} | t.common()
    notes.absent[f"{substance} pipelines" if substance else "pipelines of no stated substance"] += 1
    return None


# -- points -----------------------------------------------------------------------------------
def node_points(tags: TagMap, notes: Notes) -> list[tuple[str, Columns]]:
    """Every layer a node belongs to: a lamp on a power pole is a luminaire and a pole."""
    found = site_points(tags, notes)
    if tags.get("natural") == "tree":
        found.append(("trees", tree(Tags(tags, "natural"))))
    if tags.get("highway") == "street_lamp":
        found.append(("luminaires", luminaire(Tags(tags, "highway"))))
    if purpose := _pole_purpose(tags, notes):
        found.append(("poles", {"purpose": purpose} | _pole(Tags(tags, "power", "man_made"))))
    if tags.get("power") == "switch":
        found.append(("power_switches", _switch(Tags(tags, "power"))))
    if tags.get("emergency") == "fire_hydrant":
        t = Tags(tags, "emergency")
        found.append(("hydrants", {"hydrant_type": t.take("fire_hydrant:type"),
                                   "diameter_mm": t.read(parse.millimetres,
                                                         "fire_hydrant:diameter")} | t.common()))
    if tags.get("man_made") == "surveillance" and (camera := _camera(tags, notes)):
        found.append(("cameras", camera))
    return found


def site_points(tags: TagMap, notes: Notes) -> list[tuple[str, Columns]]:
    """Layers whose features OSM maps as a node or an area, stored at one point: substations,
    transformers and street cabinets."""
    found = []
    power = tags.get("power")
    if power in ("substation", "transformer"):
        t = Tags(tags, "power")
        voltages = t.read(parse.voltages_kv, "voltage") or []
        columns = {
            "primary_kv": t.read(_top_kv, "voltage:primary") or (voltages[0] if voltages else None),
            "secondary_kv": t.read(_top_kv, "voltage:secondary")
            or (voltages[-1] if len(voltages) > 1 else None),
            "capacity_kva": t.read(parse.rating_kva, "rating"),
        }
        if power == "substation":
            found.append(("substations", {"name": t.take("name")} | columns | t.common()))
        else:
            found.append(("transformers", columns | t.common()))
    if tags.get("man_made") == "street_cabinet":
        kind = tags.get("street_cabinet") or tags.get("utility")
        if kind == "telecom":
            t = Tags(tags, "man_made", "street_cabinet", "utility")
            found.append(("telecom_cabinets", {"cabinet_type": "street cabinet",
                                               "operator": t.take("operator")} | t.common()))
        else:
            notes.absent[f"{kind} street cabinets" if kind else
                         "street cabinets of no stated kind"] += 1
    return found


def _top_kv(value: str) -> float | None:
    voltages = parse.voltages_kv(value)
    return voltages[0] if voltages else None


def tree(t: Tags) -> Columns:
    return {
        "species": t.take("species", "species:vi", "taxon", "genus"),
        "height_m": t.read(parse.length, "height"),
        "trunk_diameter_m": t.read(lambda v: _diameter(parse.length(v)), "circumference"),
        "crown_diameter_m": t.read(parse.length, "diameter_crown"),
        "planted_date": t.read(parse.full_date, "start_date"),
    } | t.common()


def _diameter(circumference: float | None) -> float | None:
    return None if circumference is None else round(circumference / math.pi, 4)


def luminaire(t: Tags) -> Columns:
    lamp = t.read(lambda v: _LAMPS.get(v.strip().lower()), "light:method", "lamp_type")
    if lamp is None and (t.get("light:method") or t.get("lamp_type")):
        lamp = "other"  # the value itself stays in attributes
    return {"lamp_type": lamp, "mounting_height_m": t.read(parse.length, "light:height", "height"),
            "wattage_w": t.read(parse.watts, "light:power"),
            "orientation_deg": t.read(parse.direction_deg, "light:direction", "direction"),
            } | t.common()


def _pole_purpose(tags: TagMap, notes: Notes) -> str | None:
    if tags.get("power") in ("pole", "tower"):
        return "power"
    if tags.get("man_made") != "utility_pole":
        return None
    utilities = {u.strip() for u in tags.get("utility", "").split(";") if u.strip()}
    named = {"power": "power", "telecom": "telecom", "street_lighting": "lighting",
             "lighting": "lighting"}
    purposes = {named.get(u, "shared") for u in utilities}
    if len(purposes) == 1:
        return purposes.pop()
    if purposes:
        return "shared"
    if tags.get("highway") == "street_lamp":
        return "lighting"
    notes.assumed["utility poles with no utility tag, taken as 'shared'"] += 1
    return "shared"


def _pole(t: Tags) -> Columns:
    if t.get("utility"):
        t.use("utility")
    return {"height_m": t.read(parse.length, "height"),
            "material": t.take("material")} | t.common()


def _switch(t: Tags) -> Columns:
    switch = t.take("switch")
    voltages = t.read(parse.voltages_kv, "voltage")
    return {"switch_type": _SWITCHES.get(switch, switch) if switch else None,
            "normal_state": t.read(_STATES.get, "switch:state", "state") or "closed",
            "voltage_level": _voltage_level(voltages[0]) if voltages else None} | t.common()


def _camera(tags: TagMap, notes: Notes) -> Columns | None:
    kind = tags.get("surveillance:type")
    if kind not in (None, "camera", "ALPR"):
        notes.absent[f"surveillance:type={kind} points"] += 1
        return None
    t = Tags(tags, "man_made", "surveillance:type")
    traffic = kind == "ALPR" or tags.get("surveillance") == "traffic"
    camera_type = "anpr" if kind == "ALPR" else t.read(_CAMERAS.get, "camera:type")
    return {"purpose": "traffic" if traffic else "security",
            "heading_deg": t.read(parse.direction_deg, "camera:direction", "direction"),
            "camera_type": camera_type,
            "height_m": t.read(parse.length, "height", "camera:height")} | t.common()
