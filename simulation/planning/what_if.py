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
from simulation.lighting.study import Study
from simulation.lighting.twin_run import MARGIN_DEG, READ_COLUMNS
from simulation.planning._areas import NO_WARD, plain
from simulation.planning._json import records
from simulation.planning.energy import FIGURES, EnergyResult, priced
from simulation.planning.renewal import ALIAS_PARAMS, UNIT_COSTS_SQL, unit_cost_join
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
    only_where_lower: bool = False
    """Give the schedule only to the lamps it makes burn less (a lamp on a leaner profile
    keeps its own)."""

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


NOT_LED_SQL = "coalesce(upper(trim(lamp_type)), '') <> 'LED'"
"""``is_led``'s test in SQL (negated), for queries over ``luminaires``."""


def is_led(lamp_type: pd.Series) -> pd.Series:
    """Whether each lamp type names an LED (case and spaces ignored: "LED", "led", " Led ");
    the one matcher the what-ifs and the report use."""
    return lamp_type.fillna("").astype(str).str.strip().str.upper() == "LED"


def darkest(profile: object) -> float:
    """The lowest level of a named profile's night (full output for an unknown one)."""
    return lowest_level(SCHEDULES[profile]) if isinstance(profile, str) and \
        profile in SCHEDULES else 1.0


def _plan(conn: Connection, what_if: EnergyWhatIf, lamps: pd.DataFrame,
          hours: Mapping[str, float], year: int) -> pd.DataFrame:
    """Per luminaire changed: road_id, ward_code, kwh before and after, lowest level before
    and after, new wattage and photometry (retrofit) or NaN. A lamp is changed only when its
    hours, darkest level, wattage or optic move."""
    night_list = nights(year)
    profile = lamps["dimming_profile"].fillna("none")
    full = equivalent_hours(schedule_of("none"), night_list)
    before_h = profile.map(hours).fillna(full)
    plan = pd.DataFrame({"road_id": lamps["road_id"], "ward_code": lamps["ward_code"],
                         "watts": lamps["wattage_w"].fillna(0.0), "hours": before_h,
                         "low": profile.map(darkest)})
    plan["new_watts"], plan["new_hours"], plan["new_low"] = plan["watts"], plan["hours"], \
        plan["low"]
    plan["photometry"] = None
    schedule = what_if.schedule()
    if schedule is not None:
        dim = pd.Series(True, lamps.index) if what_if.dimming_roads is None else \
            lamps["road_id"].isin(resolve_roads(conn, what_if.dimming_roads))
        new_hours = equivalent_hours(schedule, night_list)
        if what_if.only_where_lower:
            dim &= plan["hours"] > new_hours + 1e-9
        plan.loc[dim, "new_hours"] = new_hours
        plan.loc[dim, "new_low"] = lowest_level(schedule)
    if what_if.retrofit_roads:
        on = lamps["road_id"].isin(resolve_roads(conn, what_if.retrofit_roads)) & \
            ~is_led(lamps["lamp_type"])
        plan.loc[on, "new_watts"] = _led_wattage(lamps[on], what_if.retrofit_wattage_w,
                                                 what_if.retrofit_photometry)
        plan.loc[on, "photometry"] = what_if.retrofit_photometry
    moved = (plan["new_hours"] - plan["hours"]).abs().gt(1e-9) | \
        (plan["new_low"] != plan["low"]) | plan["photometry"].notna()
    plan = plan[moved.to_numpy()].copy()
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


CHECK_COLUMNS = ["road_id", "name", "class_before", "class_after", "eav_before", "eav_after",
                 "u0_before", "u0_after", "passes"]


def _study_bbox(conn: Connection, plan: pd.DataFrame) -> tuple[float, float, float, float]:
    """The changed lamps and their roads, widened by the lamps' reach (``MARGIN_DEG``, about
    160 m: h · tan 86° for an 11 m pole) so that every road they light is in the study."""
    bounds = conn.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(g) AS e "
        "FROM (SELECT geom AS g FROM luminaires WHERE id = ANY(:lamps) UNION ALL "
        "SELECT geom FROM roads WHERE id = ANY(:roads)) u) x"),
        {"lamps": list(plan.index), "roads": sorted(set(plan["road_id"].dropna()))}).one()
    return (float(bounds[0]) - MARGIN_DEG, float(bounds[1]) - MARGIN_DEG,
            float(bounds[2]) + MARGIN_DEG, float(bounds[3]) + MARGIN_DEG)


def _after(conn: Connection, before: Study, plan: pd.DataFrame) -> Study:
    """``before`` with the plan's lamps at their new darkest level, wattage and optic."""
    after = before
    retro = plan[plan["photometry"].notna()]
    dim = {i: float(v) for i, v in plan.loc[plan["photometry"].isna(), "new_low"].items()}
    if dim:
        after = after.with_output(dim)
    if len(retro):
        frame = read_layer(conn, "luminaires", ids=list(retro.index), columns=READ_COLUMNS,
                           crs=BAC_GIANG.metric_crs)
        frame = frame.assign(photometry=retro["photometry"].reindex(frame.index),
                             wattage_w=retro["new_watts"].reindex(frame.index),
                             output=retro["new_low"].reindex(frame.index))
        after = after.with_luminaires(frame)
    return after


def _reached(study: Study, ids: pd.Index) -> pd.DataFrame:
    """(lamp, road_id) of every road a grid point of which is within the lamp's reach."""
    which = study.lamp_ids.get_indexer(ids)
    which = which[which >= 0]
    if not len(which):
        return pd.DataFrame({"lamp": [], "road_id": []})
    lamp, point = study.scene.pairs(study.scene.lamps.take(which))[:2]
    frame = pd.DataFrame({"lamp": study.lamp_ids[which[lamp]],
                          "road_id": study.road_frame.index[study.grid.road[point]]})
    return frame.drop_duplicates()


def lighting_check(conn: Connection, plan: pd.DataFrame, lamps: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    """Every lit road the plan's lamps reach (their own and their neighbours': cross streets,
    parallel streets within reach), judged before and after with each luminaire at the lowest
    level of its night. While a road fails, the changed lamps on it or reaching it are put back
    and every road is judged again; only what is left is accepted. Lamps with no road, or out
    of the study, are not checked (never accepted). Returns the check (road_id, name,
    class_before, class_after, eav_before, eav_after, u0_before, u0_after, passes: a road
    that failed keeps the figures it failed with), the accepted and the unchecked lamp ids."""
    roadless = plan.index[plan["road_id"].isna().to_numpy()]
    if len(roadless) == len(plan):
        return pd.DataFrame(columns=CHECK_COLUMNS), plan.index[:0], roadless
    plan = plan.drop(index=roadless)
    result = run_lighting(conn, bbox=_study_bbox(conn, plan), live=False)
    study = result.study
    profile = lamps["dimming_profile"].reindex(study.lamp_ids)
    dimmed = {i: lv for i, lv in zip(study.lamp_ids, profile.map(darkest), strict=True)
              if lv < 1.0}
    before_study = study.with_output(dimmed) if dimmed else study
    before = before_study.figures()
    unchecked = roadless.append(plan.index[~plan.index.isin(study.lamp_ids)])
    candidate = plan.drop(index=unchecked.intersection(plan.index))
    names = result.roads.set_index("road_id")["name"] if len(result.roads) else pd.Series()
    judged: dict[str, dict[str, Any]] = {}
    failing: set[str] = set()
    while len(candidate):
        after_study = _after(conn, before_study, candidate)
        after = after_study.figures()
        reach = pd.concat([_reached(before_study, candidate.index),
                           _reached(after_study, candidate.index),
                           pd.DataFrame({"lamp": candidate.index,
                                         "road_id": candidate["road_id"]})])
        reach = reach[reach["road_id"].isin(before.index)].drop_duplicates()
        new_fail = []
        for road in sorted(set(reach["road_id"]) - failing):
            row = {"road_id": road, "name": names.get(road)}
            for when, figures in (("before", before), ("after", after)):
                for column in ("class", "eav", "u0"):
                    row[f"{column}_{when}"] = figures[column].get(road) \
                        if column in figures else None
            row["passes"] = _passes(row["class_before"], row["class_after"],
                                    row["eav_before"], row["eav_after"])
            judged[road] = row
            if not row["passes"]:
                new_fail.append(road)
        if not new_fail:
            break
        failing.update(new_fail)
        back = set(reach.loc[reach["road_id"].isin(new_fail), "lamp"])
        candidate = candidate.drop(index=[i for i in candidate.index if i in back])
    rows = pd.DataFrame([judged[r] for r in sorted(judged)], columns=CHECK_COLUMNS)
    return rows, candidate.index, unchecked


def apply_what_if(conn: Connection, base: EnergyResult, what_if: EnergyWhatIf,
                  hours: Mapping[str, float], tariff: float, co2: float) -> EnergyResult:
    """``base`` with the what-if's answer: the figures after it (lamps reaching a failing road,
    and unchecked lamps, left as they are), savings, capex, payback and the lighting check."""
    lamps = _lamps(conn)
    plan = _plan(conn, what_if, lamps, hours, base.year)
    check, accepted_ids, unchecked_ids = lighting_check(conn, plan, lamps)
    failing = check.loc[~check["passes"].astype(bool), "road_id"].tolist()
    accepted = plan.loc[accepted_ids]
    rejected = plan.drop(index=[*accepted_ids, *unchecked_ids])
    unchecked = plan.loc[unchecked_ids]
    ward = accepted["ward_code"].fillna(NO_WARD)
    delta = (accepted["kwh_after"] - accepted["kwh_before"]).groupby(ward).sum()
    kw = (accepted["new_watts"] - accepted["watts"]).groupby(ward).sum() / 1000
    after = base.by_ward.copy()
    wards = after["area_level"] == "ward"
    city = after["area_level"] == "city"
    for column, change in (("kwh", delta), ("installed_kw", kw)):
        after.loc[wards, column] = after.loc[wards, column] + \
            after.loc[wards, "area_code"].map(change).fillna(0.0)
        after.loc[city, column] = after.loc[city, column] + float(change.sum())
    after = priced(after.drop(columns=["cost_vnd", "co2_kg"]), tariff, co2)[base.by_ward.columns]
    saved_kwh = float(-delta.sum())
    retrofitted = int(accepted["photometry"].notna().sum())
    led_cost, led_life = _led_unit_cost(conn)
    capex = retrofitted * led_cost
    in_backlog = _due_now(conn, list(accepted.index[accepted["photometry"].notna()]), base.year)
    saved_cost = saved_kwh * tariff
    payback = round(capex / saved_cost, 2) if saved_cost > 0 and capex > 0 else None
    answer: dict[str, Any] = {
        "after": records(after[[*after.columns[:3], *FIGURES]]),
        "saved_kwh": round(saved_kwh, 1), "saved_cost_vnd": round(saved_cost),
        "saved_co2_kg": round(saved_kwh * co2, 1),
        "rejected_kwh": round(float((rejected["kwh_before"] - rejected["kwh_after"]).sum()), 1),
        "unchecked_kwh": round(float((unchecked["kwh_before"] - unchecked["kwh_after"]).sum()),
                               1),
        "luminaires_unchecked": int(len(unchecked)),
        "capex_vnd": round(capex), "payback_years": payback,
        "capex_in_backlog_vnd": round(in_backlog * led_cost),
        "led_service_life_y": led_life,
        "pays_back_within_life": None if payback is None or led_life is None
        else bool(payback <= led_life),
        "luminaires_changed": int(len(accepted)), "luminaires_retrofitted": retrofitted,
        "failing_roads": failing, "lighting_check": records(check),
        "request": what_if.model_dump()}
    return EnergyResult(base.year, base.burning_h, base.by_ward, base.parameters,
                        base.missing_wattage, base.unknown_profiles, answer)


def _due_now(conn: Connection, ids: list[str], year: int) -> int:
    """How many of these lamps the renewal backlog of ``year`` already holds (failed, or past
    their service life): their retrofit is a renewal due anyway, not an extra cost."""
    if not ids:
        return 0
    match = unit_cost_join("coalesce(a.lamp_type, 'unknown')", "'luminaires'")
    return int(conn.execute(text(
        f"WITH {UNIT_COSTS_SQL} SELECT count(*) FROM luminaires a{match} "
        "WHERE a.id = ANY(:ids) AND (a.condition = 'failed' "
        "OR a.install_year + c.service_life_y <= :year)"),
        {"ids": ids, "year": year, **ALIAS_PARAMS}).scalar() or 0)


def _led_unit_cost(conn: Connection) -> tuple[float, int | None]:
    """The LED luminaire's unit cost (VND) and service life (years)."""
    row = conn.execute(text("SELECT cost_vnd, service_life_y FROM unit_costs WHERE layer = "
                            "'luminaires' AND upper(trim(material)) IN ('LED', '*') "
                            "ORDER BY material = '*' LIMIT 1")).first()
    return (float(row[0]), int(row[1])) if row else (0.0, None)


__all__ = ["EnergyWhatIf", "apply_what_if", "NOT_LED_SQL", "darkest", "is_led", "lighting_check",
           "resolve_roads"]
