"""Lighting what-ifs: a dimming schedule or an LED retrofit of chosen streets, with the kWh,
cost and CO₂ they save, the capex and payback, checked street by street against the lighting
calculation (``simulation.lighting.run_lighting``, as the lighting API runs it) so that a
saving never drops a street below the class it meets now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, text

from simulation.lighting import run_lighting
from simulation.lighting.builtin import OPTICS, PREFIX
from simulation.lighting.classes import C_CLASSES, P_CLASSES
from simulation.lighting.twin_run import READ_COLUMNS
from simulation.planning._areas import plain
from simulation.planning._json import records
from simulation.planning.energy import FIGURES, EnergyResult, priced
from simulation.planning.schedules import (
    SCHEDULES,
    Schedule,
    equivalent_hours,
    lowest_level,
    nights,
    parse_schedule,
    schedule_of,
)
from twin.city import BAC_GIANG
from twin.errors import InvalidInput
from twin.read import read_layer

MAX_ROADS = 5000
Name = Annotated[str, Field(min_length=1, max_length=200)]
CLASS_RANK = {name: i for i, name in enumerate([*C_CLASSES.index, *P_CLASSES.index])}
"""Better classes first on each scale (C0 … C5, P1 … P6); a road keeps its scale."""


class EnergyWhatIf(BaseModel):
    """A dimming schedule (a named profile or steps) for the luminaires of ``dimming_roads``
    (None: every luminaire), and/or an LED retrofit of the luminaires of ``retrofit_roads``
    that are not LED yet (``retrofit_wattage_w`` W each; None: the same flux at the LED
    model's efficacy). Roads are ids (RD-…) or names."""

    model_config = ConfigDict(extra="forbid")

    dimming_profile: Name | None = None
    dimming_schedule: list[tuple[Name, float]] | None = Field(None, max_length=48)
    dimming_roads: list[Name] | None = Field(None, max_length=MAX_ROADS)
    retrofit_roads: list[Name] | None = Field(None, max_length=MAX_ROADS)
    retrofit_wattage_w: float | None = Field(None, gt=0, le=2000)
    retrofit_photometry: str = Field(f"{PREFIX}led-road-medium", max_length=200)

    @model_validator(mode="after")
    def _one_change(self) -> EnergyWhatIf:
        if self.dimming_profile is not None and self.dimming_schedule is not None:
            raise ValueError("give dimming_profile or dimming_schedule, not both")
        if self.dimming_roads is not None and self.schedule() is None:
            raise ValueError("dimming_roads needs a dimming_profile or dimming_schedule")
        if self.schedule() is None and not self.retrofit_roads:
            raise ValueError("a what-if needs a dimming schedule or retrofit_roads")
        return self

    def schedule(self) -> Schedule | None:
        if self.dimming_schedule is not None:
            return parse_schedule(self.dimming_schedule)
        if self.dimming_profile is not None:
            return schedule_of(self.dimming_profile)
        return None


def resolve_roads(conn: Connection, wanted: list[str]) -> list[str]:
    """Road ids of the roads named (ids, or names: accents and case ignored; a name may
    cover several segments); InvalidInput naming those not found."""
    roads = pd.read_sql(text("SELECT id, name FROM roads"), conn)
    by_name = roads.dropna(subset=["name"]).assign(key=lambda f: f["name"].map(plain))
    ids = set(roads["id"])
    found: list[str] = []
    missing = []
    for item in wanted:
        if item in ids:
            found.append(item)
            continue
        match = by_name.loc[by_name["key"] == plain(item), "id"].tolist()
        if match:
            found.extend(match)
        else:
            missing.append(item)
    if missing:
        raise InvalidInput(f"unknown road{'s' if len(missing) > 1 else ''}: "
                           f"{', '.join(repr(m) for m in missing[:10])} (road ids or names)")
    return list(dict.fromkeys(found))


def _lamps(conn: Connection) -> pd.DataFrame:
    return pd.read_sql(text("SELECT id, ward_code, road_id, lamp_type, wattage_w, photometry, "
                            "dimming_profile FROM luminaires ORDER BY id"), conn,
                       index_col="id")


def _led_wattage(lamps: pd.DataFrame, wanted: float | None, photometry: str) -> pd.Series:
    """The retrofit wattage of each lamp: ``wanted``, or the same flux at the LED model's
    efficacy (a lamp of a file photometry needs ``wanted``)."""
    if wanted is not None:
        return pd.Series(float(wanted), lamps.index)
    led = OPTICS.get(photometry.removeprefix(PREFIX))
    if led is None:
        raise InvalidInput("retrofit_wattage_w is needed with a photometry that is not built in")
    old = lamps["photometry"].fillna("").str.removeprefix(PREFIX).map(
        {name: optic.efficacy_lm_per_w for name, optic in OPTICS.items()})
    if old.isna().any() or lamps["wattage_w"].isna().any():
        who = lamps.index[(old.isna() | lamps["wattage_w"].isna()).to_numpy()][0]
        raise InvalidInput(f"luminaire {who}: no built-in photometry or wattage to match its "
                           "flux; give retrofit_wattage_w")
    return (lamps["wattage_w"] * old / led.efficacy_lm_per_w).round(1)


def _plan(conn: Connection, what_if: EnergyWhatIf, lamps: pd.DataFrame,
          hours: Mapping[str, float], year: int) -> pd.DataFrame:
    """Per luminaire changed: road_id, ward_code, kwh before and after, lowest level before
    and after, new wattage and photometry (retrofit) or NaN."""
    night_list = nights(year)
    profile = lamps["dimming_profile"].fillna("none")
    full = equivalent_hours(schedule_of("none"), night_list)
    before_h = profile.map(hours).fillna(full)
    low_before = profile.map(lambda p: lowest_level(SCHEDULES[p]) if p in SCHEDULES else 1.0)
    plan = pd.DataFrame({"road_id": lamps["road_id"], "ward_code": lamps["ward_code"],
                         "watts": lamps["wattage_w"].fillna(0.0), "hours": before_h,
                         "low": low_before})
    plan["new_watts"], plan["new_hours"], plan["new_low"] = plan["watts"], plan["hours"], \
        plan["low"]
    plan["photometry"] = None
    changed = pd.Series(False, lamps.index)
    schedule = what_if.schedule()
    if schedule is not None:
        dim = pd.Series(True, lamps.index) if what_if.dimming_roads is None else \
            lamps["road_id"].isin(resolve_roads(conn, what_if.dimming_roads))
        plan.loc[dim, "new_hours"] = equivalent_hours(schedule, night_list)
        plan.loc[dim, "new_low"] = lowest_level(schedule)
        changed |= dim
    if what_if.retrofit_roads:
        on = lamps["road_id"].isin(resolve_roads(conn, what_if.retrofit_roads)) & \
            (lamps["lamp_type"].fillna("") != "LED")
        plan.loc[on, "new_watts"] = _led_wattage(lamps[on], what_if.retrofit_wattage_w,
                                                 what_if.retrofit_photometry)
        plan.loc[on, "photometry"] = what_if.retrofit_photometry
        changed |= on
    plan = plan[changed.to_numpy()].copy()
    plan["kwh_before"] = plan["watts"] * plan["hours"] / 1000
    plan["kwh_after"] = plan["new_watts"] * plan["new_hours"] / 1000
    return plan


def _passes(class_before: object, class_after: object, eav_before: float,
            eav_after: float) -> bool:
    """A road passes when it keeps the class it meets now; one that meets no class now passes
    only if it is not made darker (a saving never darkens a street already below every
    class)."""
    if not isinstance(class_before, str):
        return bool(eav_after >= eav_before - 1e-9)
    return _rank(class_after) <= _rank(class_before)


def _rank(name: object) -> int:
    return CLASS_RANK.get(name, len(CLASS_RANK)) if isinstance(name, str) else len(CLASS_RANK)


def lighting_check(conn: Connection, plan: pd.DataFrame, lamps: pd.DataFrame) -> pd.DataFrame:
    """EN 13201 figures of each road the plan changes, before and after, each luminaire at the
    lowest level of its night: road_id, name, class_required, class_before, class_after,
    eav_before, eav_after, u0_before, u0_after, passes."""
    roads = sorted(set(plan["road_id"].dropna()))
    columns = ["road_id", "name", "class_required", "class_before", "class_after",
               "eav_before", "eav_after", "u0_before", "u0_after", "passes"]
    if not roads:
        return pd.DataFrame(columns=columns)
    bounds = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               "(SELECT ST_Extent(geom) AS e FROM roads WHERE id = ANY(:ids)) x"),
                          {"ids": roads}).one()
    bbox = (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3]))
    result = run_lighting(conn, bbox=bbox, live=False)
    study = result.study
    in_study = study.lamp_ids
    profile = lamps["dimming_profile"].reindex(in_study).fillna("none")
    dimmed = {i: lv for i, lv in zip(in_study, profile.map(
        lambda p: lowest_level(SCHEDULES[p]) if p in SCHEDULES else 1.0), strict=False) if lv < 1.0}
    before_study = study.with_output(dimmed) if dimmed else study
    before = before_study.figures()
    mine = plan[plan.index.isin(in_study)]
    after_study = before_study
    retro = mine[mine["photometry"].notna()]
    moved = mine[(mine["new_low"] != mine["low"]) & mine["photometry"].isna()]
    plain_dim = {i: float(v) for i, v in moved["new_low"].items()}
    if plain_dim:
        after_study = after_study.with_output(plain_dim)
    if len(retro):
        frame = read_layer(conn, "luminaires", ids=list(retro.index), columns=READ_COLUMNS,
                           crs=BAC_GIANG.metric_crs)
        frame = frame.assign(photometry=retro["photometry"].reindex(frame.index),
                             wattage_w=retro["new_watts"].reindex(frame.index),
                             output=retro["new_low"].reindex(frame.index))
        after_study = after_study.with_luminaires(frame)
    after = after_study.figures()
    names = result.roads.set_index("road_id")["name"] if len(result.roads) else pd.Series()
    rows = pd.DataFrame({"road_id": roads}).set_index("road_id", drop=False)
    rows["name"] = names.reindex(rows.index)
    for when, figures in (("before", before), ("after", after)):
        for column in ("class", "eav", "u0"):
            rows[f"{column}_{when}"] = figures[column].reindex(rows.index) \
                if column in figures else None
    rows["class_required"] = rows["class_before"]
    rows["passes"] = [_passes(*r) for r in zip(rows["class_before"], rows["class_after"],
                                               rows["eav_before"], rows["eav_after"],
                                               strict=True)]
    return rows[columns].reset_index(drop=True)


def apply_what_if(conn: Connection, base: EnergyResult, what_if: EnergyWhatIf,
                  hours: Mapping[str, float], tariff: float, co2: float) -> EnergyResult:
    """``base`` with the what-if's answer: the figures after it (failing roads left as they
    are), savings, capex, payback and the lighting check."""
    lamps = _lamps(conn)
    plan = _plan(conn, what_if, lamps, hours, base.year)
    check = lighting_check(conn, plan, lamps)
    failing = check.loc[~check["passes"].astype(bool), "road_id"].tolist()
    rejected = plan["road_id"].isin(failing)
    accepted = plan[~rejected.to_numpy()]
    delta = (accepted["kwh_after"] - accepted["kwh_before"]).groupby(
        accepted["ward_code"]).sum()
    after = base.by_ward.copy()
    wards = after["area_level"] == "ward"
    after.loc[wards, "kwh"] = after.loc[wards, "kwh"] + \
        after.loc[wards, "area_code"].map(delta).fillna(0.0)
    city = after["area_level"] == "city"
    after.loc[city, "kwh"] = after.loc[city, "kwh"] + float(delta.sum())
    kw = (accepted["new_watts"] - accepted["watts"]).groupby(accepted["ward_code"]).sum() / 1000
    after.loc[wards, "installed_kw"] = after.loc[wards, "installed_kw"] + \
        after.loc[wards, "area_code"].map(kw).fillna(0.0)
    after.loc[city, "installed_kw"] = after.loc[city, "installed_kw"] + float(kw.sum())
    after = priced(after.drop(columns=["cost_vnd", "co2_kg"]), tariff, co2)[base.by_ward.columns]
    saved_kwh = float(-delta.sum())
    retrofitted = int(accepted["photometry"].notna().sum())
    capex = retrofitted * _led_unit_cost(conn)
    saved_cost = saved_kwh * tariff
    rejected_kwh = float((plan.loc[rejected.to_numpy(), "kwh_before"]
                          - plan.loc[rejected.to_numpy(), "kwh_after"]).sum())
    answer: dict[str, Any] = {
        "after": records(after[[*after.columns[:3], *FIGURES]]),
        "saved_kwh": round(saved_kwh, 1), "saved_cost_vnd": round(saved_cost),
        "saved_co2_kg": round(saved_kwh * co2, 1), "rejected_kwh": round(rejected_kwh, 1),
        "capex_vnd": round(capex), "payback_years":
            round(capex / saved_cost, 2) if saved_cost > 0 and capex > 0 else None,
        "luminaires_changed": int(len(accepted)), "luminaires_retrofitted": retrofitted,
        "failing_roads": failing, "lighting_check": records(check),
        "request": what_if.model_dump()}
    return EnergyResult(base.year, base.burning_h, base.by_ward, base.parameters,
                        base.missing_wattage, base.unknown_profiles, answer)


def _led_unit_cost(conn: Connection) -> float:
    cost = conn.execute(text("SELECT cost_vnd FROM unit_costs WHERE layer = 'luminaires' AND "
                             "material IN ('LED', '*') ORDER BY material = '*' LIMIT 1")).scalar()
    return float(cost or 0.0)


__all__ = ["EnergyWhatIf", "apply_what_if", "lighting_check", "resolve_roads"]
