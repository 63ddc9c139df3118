"""Lighting energy: dimming schedules integrated over each night across midnight, burning
hours from sunset to sunrise at the city (astral), kWh, cost and CO₂ by ward on the small city
of tests/planning_support.py, and what-ifs checked against the lighting calculation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time

import pytest
import sqlalchemy as sa

from simulation import planning
from simulation.lighting.dimming import PROFILES, output_level
from simulation.planning.schedules import (
    SCHEDULES,
    burning_hours,
    equivalent_seconds,
    level_at,
    nights,
    parse_schedule,
)
from tests.planning_support import (
    W1,
    W2,
    W3,
    adjacent_city,
    database_of,
    lighting_city,
)
from twin.errors import InvalidInput

YEAR = 2026
DUSK, DAWN = 18 * 3600.0, (24 + 6) * 3600.0
"""A 12-hour night from 18:00 to 06:00 the next morning (s from the first day's midnight)."""


@pytest.mark.parametrize("profile", list(PROFILES))
def test_schedules_are_the_lighting_profiles(profile):
    assert set(SCHEDULES) == set(PROFILES)
    for minute in range(0, 24 * 60, 15):
        at = time(minute // 60, minute % 60)
        if time(6) <= at < time(18):
            continue  # by day the lighting profiles are off; the schedules only run at night
        assert level_at(SCHEDULES[profile], at) == output_level(profile, at), (profile, at)


@pytest.mark.parametrize(("schedule", "hours"), [
    (SCHEDULES["none"], 12.0),
    (SCHEDULES["midnight-50"], 6 + 6 * 0.5),
    (SCHEDULES["dusk-dawn-70"], 12 * 0.7),
    (parse_schedule([["22:00", 0.5], ["04:00", 1.0]]), 4 + 6 * 0.5 + 2),
    # from 18:00 the level of the day's last step before it (02:00): crosses midnight twice
    (parse_schedule([["23:00", 0.3], ["02:00", 0.6]]), 5 * 0.6 + 3 * 0.3 + 4 * 0.6),
])
def test_a_schedule_is_integrated_over_the_night_across_midnight(schedule, hours):
    assert equivalent_seconds(schedule, DUSK, DAWN) / 3600 == pytest.approx(hours)


def test_a_bad_schedule_is_refused():
    with pytest.raises(InvalidInput, match="a dimming level must be 0..1, got 1.5 at 22:00"):
        parse_schedule([["22:00", 1.5]])
    with pytest.raises(InvalidInput, match="time must be HH:MM"):
        parse_schedule([["10pm", 0.5]])


def test_burning_hours_follow_the_sun_at_the_city():
    year = nights(YEAR)
    assert len(year) == 365
    lengths = [(end - start) / 3600 for start, end in year]
    assert 10.4 < min(lengths) < 10.9 and 12.9 < max(lengths) < 13.4, \
        "21.3° N: about 10 h 40 min in June, 13 h 10 min in December"
    june, december = lengths[171], lengths[354]  # 21 June, 21 December
    assert june == pytest.approx(min(lengths), abs=0.02)
    assert december == pytest.approx(max(lengths), abs=0.02)
    assert burning_hours(YEAR) == pytest.approx(sum(lengths))
    assert 4300 < burning_hours(YEAR) < 4450


def test_energy_by_ward(city):
    full = burning_hours(YEAR)
    half_after_midnight = sum((24 * 3600 - start) + 0.5 * (end - 24 * 3600)
                              for start, end in nights(YEAR)) / 3600
    result = planning.lighting_energy(city, year=YEAR)
    rows = result.by_ward.set_index("area_code")
    first = (150 * full + 50 * 0.7 * full) / 1000
    second = 100 * half_after_midnight / 1000
    assert rows.loc[W1, "kwh"] == pytest.approx(first)
    assert rows.loc[W2, "kwh"] == pytest.approx(second)
    assert rows.loc[W3, "kwh"] == 0 and rows.loc[W3, "luminaires"] == 0
    assert rows.loc["city", "kwh"] == pytest.approx(first + second)
    assert rows.loc[W1, "installed_kw"] == pytest.approx(0.2)
    assert rows.loc[W1, "luminaires"] == 2
    assert rows.loc["city", "cost_vnd"] == pytest.approx((first + second) * 2204)
    assert rows.loc["city", "co2_kg"] == pytest.approx((first + second) * 0.6592)
    assert result.burning_h == pytest.approx(full)
    assert result.parameters["tariff_vnd_per_kwh"]["assumption"] is True
    only = planning.lighting_energy(city, year=YEAR, ward="Trần Phú").by_ward
    assert list(only["area_code"]) == [W1, "city"]



def test_energy_rolls_up_by_district_and_city(city):
    """The three lamps are all in district 213: its row and the city's are the wards' sum."""
    wards = planning.energy_by_area(city, "ward", year=YEAR).set_index("area_code")
    assert list(wards.index) == [W1, W2, W3] and set(wards["area_level"]) == {"ward"}
    total = wards["kwh"].sum()
    district = planning.energy_by_area(city, "district", year=YEAR)
    assert list(district["area_code"]) == ["213"] and list(district["luminaires"]) == [3]
    assert district["kwh"].iloc[0] == pytest.approx(total)
    assert district["installed_kw"].iloc[0] == pytest.approx(0.3)
    every = planning.energy_by_area(city, levels=["ward", "district", "city"], year=YEAR)
    assert list(every["area_level"]) == ["ward"] * 3 + ["district", "city"]
    assert every["cost_vnd"].iloc[-1] == pytest.approx(total * 2204)
    assert list(planning.energy_by_area(city, "ward", "Song Mai", YEAR)["area_code"]) == [W2]
    with pytest.raises(InvalidInput, match="unknown level 'province'"):
        planning.energy_by_area(city, "province")


def test_lamps_without_wattage_are_counted_in_the_ward_asked_for(city):
    """LUM-000002 (ward 00002) loses its wattage and gets a profile no schedule knows: the
    city and 00002 report it, 00001 does not."""
    city.execute(sa.text("UPDATE luminaires SET wattage_w = NULL, dimming_profile = 'odd' "
                         "WHERE id = 'LUM-000002'"))
    whole = planning.lighting_energy(city, year=YEAR)
    assert (whole.missing_wattage, whole.unknown_profiles) == (1, ["odd"])
    second = planning.lighting_energy(city, year=YEAR, ward=W2)
    assert (second.missing_wattage, second.unknown_profiles) == (1, ["odd"])
    first = planning.lighting_energy(city, year=YEAR, ward=W1)
    assert (first.missing_wattage, first.unknown_profiles) == (0, [])

def test_a_tariff_set_by_the_user_prices_the_energy(city):
    planning.set_parameter(city, "tariff_vnd_per_kwh", 3000, actor="planner")
    rows = planning.lighting_energy(city, year=YEAR).by_ward.set_index("area_code")
    assert rows.loc["city", "cost_vnd"] == pytest.approx(rows.loc["city", "kwh"] * 3000)
    with pytest.raises(InvalidInput, match="unknown planning parameter 'price'"):
        planning.set_parameter(city, "price", 1, actor="planner")


# -- what-ifs on lit streets ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def streets(server_url: str, template_url: str) -> Iterator[tuple[sa.Engine, dict[str, list[str]]]]:
    dataset, lamps = lighting_city()
    with database_of(dataset, server_url, template_url) as engine:
        yield engine, lamps


def what_if(engine: sa.Engine, **change: object) -> dict[str, object]:
    with engine.connect() as conn:
        answer = planning.lighting_energy(conn, year=YEAR,
                                          what_if=planning.EnergyWhatIf(**change)).what_if
    assert answer is not None
    return answer


def check_of(answer: dict[str, object], road: str) -> dict[str, object]:
    return next(r for r in answer["lighting_check"] if r["road_id"] == road)  # type: ignore


def test_a_dimming_that_keeps_every_street_in_its_class_is_a_saving(streets):
    engine, lamps = streets
    answer = what_if(engine, dimming_profile="midnight-50", dimming_roads=["RD-000002"])
    full = burning_hours(YEAR)
    after_midnight = sum(end - 24 * 3600 for _, end in nights(YEAR)) / 3600
    saved = len(lamps["RD-000002"]) * 150 * 0.5 * after_midnight / 1000
    assert answer["saved_kwh"] == pytest.approx(saved, abs=0.1)
    assert answer["saved_cost_vnd"] == pytest.approx(saved * 2204, abs=300)
    assert answer["saved_co2_kg"] == pytest.approx(saved * 0.6592, abs=0.1)
    assert answer["failing_roads"] == [] and answer["rejected_kwh"] == 0
    check = check_of(answer, "RD-000002")
    assert (check["class_before"], check["class_after"], check["passes"]) == ("P1", "P1", True)
    assert check["eav_after"] == pytest.approx(check["eav_before"] / 2, rel=1e-3), \
        "judged at the darkest hour: half output"
    assert answer["capex_vnd"] == 0 and answer["payback_years"] is None
    city_after = next(r for r in answer["after"] if r["area_code"] == "city")
    assert city_after["kwh"] == pytest.approx(
        (len(lamps["RD-000001"]) * 60 + (len(lamps["RD-000002"]) + len(lamps["RD-000003"]))
         * 150) * full / 1000 - saved, abs=0.1)


def test_a_dimming_that_drops_a_street_below_its_class_is_no_saving(streets):
    engine, lamps = streets
    answer = what_if(engine, dimming_schedule=[["22:00", 0.5], ["05:00", 1.0]],
                     dimming_roads=["RD-000002", "RD-000003"])
    assert answer["failing_roads"] == ["RD-000003"]
    check = check_of(answer, "RD-000003")
    assert (check["class_before"], check["class_after"], check["passes"]) == ("P1", "P2", False)
    hours = sum(equivalent_seconds(parse_schedule([["22:00", 0.5], ["05:00", 1.0]]), s, e)
                for s, e in nights(YEAR)) / 3600
    per_lamp = 150 * (burning_hours(YEAR) - hours) / 1000
    assert answer["rejected_kwh"] == pytest.approx(len(lamps["RD-000003"]) * per_lamp, abs=0.1)
    assert answer["saved_kwh"] == pytest.approx(len(lamps["RD-000002"]) * per_lamp, abs=0.1)
    assert answer["luminaires_changed"] == len(lamps["RD-000002"])


def test_a_street_below_every_class_may_not_be_darkened(streets):
    engine, _ = streets
    answer = what_if(engine, dimming_profile="dusk-dawn-70", dimming_roads=["RD-000001"])
    check = check_of(answer, "RD-000001")
    assert check["class_before"] is None and not check["passes"]
    assert answer["saved_kwh"] == 0 and answer["failing_roads"] == ["RD-000001"]


def test_an_led_retrofit_saves_with_the_same_flux_and_pays_back(streets):
    engine, lamps = streets
    answer = what_if(engine, retrofit_roads=["RD-000003"])
    n = len(lamps["RD-000003"])
    led_w = 150 * 75 / 125  # the same lumens: HPS model 75 lm/W, LED model 125 lm/W
    saved = n * (150 - led_w) * burning_hours(YEAR) / 1000
    assert answer["luminaires_retrofitted"] == n
    assert answer["saved_kwh"] == pytest.approx(saved, abs=0.1)
    assert answer["capex_vnd"] == n * 8_000_000
    assert answer["payback_years"] == pytest.approx(n * 8_000_000 / (saved * 2204), abs=0.01)
    assert answer["led_service_life_y"] == 15
    assert answer["pays_back_within_life"] is (n * 8_000_000 / (saved * 2204) <= 15)
    assert check_of(answer, "RD-000003")["passes"]


def test_a_what_if_needs_a_change():
    with pytest.raises(ValueError, match="a what-if needs a dimming schedule or retrofit_roads"):
        planning.EnergyWhatIf()


def test_a_what_if_refuses_an_unknown_street(streets):
    engine, _ = streets
    with engine.connect() as conn, pytest.raises(InvalidInput, match="unknown road: 'Phố Không'"):
        planning.lighting_energy(conn, what_if=planning.EnergyWhatIf(
            dimming_profile="midnight-50", dimming_roads=["Phố Không"]))


@pytest.fixture(scope="module")
def adjacent(server_url: str, template_url: str) -> Iterator[tuple[sa.Engine, dict[str, list[str]]]]:
    dataset, lamps = adjacent_city()
    with database_of(dataset, server_url, template_url) as engine:
        yield engine, lamps


def test_a_dimming_that_drops_the_street_next_door_is_no_saving(adjacent):
    """RD-000006 has no lamps: its light is all RD-000005's, so halving them after midnight
    halves its darkest-hour Eav and it falls below its class (or, meeting none, gets darker).
    RD-000005's lamps reach it, so they are all put back: nothing saved, all their saving
    left out."""
    engine, lamps = adjacent
    answer = what_if(engine, dimming_profile="midnight-50", dimming_roads=["RD-000005"])
    after_midnight = sum(end - 24 * 3600 for _, end in nights(YEAR)) / 3600
    per_lamp = 150 * 0.5 * after_midnight / 1000
    assert answer["failing_roads"] == ["RD-000006"]
    check = check_of(answer, "RD-000006")
    assert not check["passes"]
    assert check["eav_after"] == pytest.approx(check["eav_before"] / 2, rel=1e-3)
    assert check_of(answer, "RD-000005")["passes"]
    assert answer["saved_kwh"] == 0 and answer["luminaires_changed"] == 0
    assert answer["rejected_kwh"] == pytest.approx(len(lamps["RD-000005"]) * per_lamp, abs=0.1)


def test_a_lamp_with_no_road_is_never_an_accepted_saving(adjacent):
    """Every lamp dimmed: RD-000005's are put back (RD-000006 fails), LUM-000900 belongs to no
    road, so it cannot be checked: its saving is reported apart, never counted."""
    engine, lamps = adjacent
    answer = what_if(engine, dimming_profile="midnight-50")
    after_midnight = sum(end - 24 * 3600 for _, end in nights(YEAR)) / 3600
    assert answer["saved_kwh"] == 0
    assert answer["luminaires_unchecked"] == 1
    assert answer["unchecked_kwh"] == pytest.approx(100 * 0.5 * after_midnight / 1000, abs=0.1)
    city_after = next(r for r in answer["after"] if r["area_code"] == "city")
    city_before = (len(lamps["RD-000005"]) * 150 + 100) * burning_hours(YEAR) / 1000
    assert city_after["kwh"] == pytest.approx(city_before, abs=0.1)


def test_a_lamp_already_on_the_schedule_is_not_changed(streets):
    """Dimming RD-000002 (all on "none") and RD-000001 to "none" changes no lamp at all."""
    engine, _ = streets
    answer = what_if(engine, dimming_profile="none", dimming_roads=["RD-000001", "RD-000002"])
    assert answer["luminaires_changed"] == 0 and answer["lighting_check"] == []


def test_only_where_lower_leaves_a_leaner_lamp_on_its_own_profile(streets):
    """midnight-50 burns 0.5 × the hours after midnight + full before it; dusk-dawn-70 0.7 ×
    the night: on RD-000002 set to dusk-dawn-70 the leaner of the two is its own, so nothing
    changes (without the option every lamp would burn more)."""
    engine, _ = streets
    night = burning_hours(YEAR)
    after_midnight = sum(end - 24 * 3600 for _, end in nights(YEAR)) / 3600
    assert night - 0.5 * after_midnight > 0.7 * night, "the hand case holds in 2026"
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE luminaires SET dimming_profile = 'dusk-dawn-70' "
                             "WHERE road_id = 'RD-000002'"))
        lower = planning.lighting_energy(conn, year=YEAR, what_if=planning.EnergyWhatIf(
            dimming_profile="midnight-50", dimming_roads=["RD-000002"],
            only_where_lower=True)).what_if
        every = planning.lighting_energy(conn, year=YEAR, what_if=planning.EnergyWhatIf(
            dimming_profile="midnight-50", dimming_roads=["RD-000002"])).what_if
        conn.rollback()
    assert lower is not None and every is not None
    assert lower["luminaires_changed"] == 0 and lower["lighting_check"] == []
    assert every["saved_kwh"] < 0, "without the option the lamps burn more"


def test_a_retrofit_of_lamps_due_for_renewal_says_the_backlog_holds_their_cost(streets):
    """RD-000003's HPS lamps installed in 2000 (HPS life 20 years: due since 2020) are in the
    2026 backlog at 8,000,000 VND each: the retrofit's capex is all already there."""
    engine, lamps = streets
    n = len(lamps["RD-000003"])
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE luminaires SET install_year = 2000 "
                             "WHERE road_id = 'RD-000003'"))
        answer = planning.lighting_energy(conn, year=YEAR, what_if=planning.EnergyWhatIf(
            retrofit_roads=["RD-000003"])).what_if
        conn.rollback()
    assert answer is not None
    assert answer["capex_vnd"] == answer["capex_in_backlog_vnd"] == n * 8_000_000
