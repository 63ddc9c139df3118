"""Planning roll-ups on a small hand-made city (tests/planning_support.py): inventory, age
profile, materials, renewal, programme targets, ward names; each figure worked by hand."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from pyproj import Geod

from simulation import planning
from tests.planning_support import LAT, LON, STEP, W1, W2, W3, database_of
from twin.errors import InvalidInput

GEOD = Geod(ellps="WGS84")
PIPE_M = GEOD.inv(LON, LAT + 0.05 * STEP, LON, LAT + 0.95 * STEP)[2]
"""Each north-running pipe: 0.009° of latitude (geodesic, m) ≈ 996.5 m."""
CROSSING_M = GEOD.inv(LON + 0.9 * STEP, LAT + 0.1 * STEP, LON + 1.3 * STEP, LAT + 0.1 * STEP)[2]
AS_OF = 2026


def row(frame: pd.DataFrame, **where: object) -> pd.Series:
    hit = frame
    for column, value in where.items():
        hit = hit[hit[column] == value]
    assert len(hit) == 1, f"{len(hit)} rows for {where}"
    return hit.iloc[0]


def test_the_pipes_lie_where_the_hand_count_puts_them(city):
    wards = dict(city.execute(sa.text("SELECT id, ward_code FROM water_pipes")).all())
    assert wards == {"WP-000001": W1, "WP-000002": W1, "WP-000003": W2, "WP-000004": W1,
                     "WP-000005": W1, "WP-000006": W2}
    assert PIPE_M == pytest.approx(996.5, abs=0.5)


def test_inventory_by_ward(city):
    rows = planning.inventory(city, "ward", as_of=AS_OF)
    pipes = row(rows, area_code=W1, layer="water_pipes")
    assert pipes["count"] == 4
    assert pipes["length_m"] == pytest.approx(4 * PIPE_M, abs=0.01)
    assert pd.isna(pipes["area_m2"])
    assert pipes["mean_age_y"] == pytest.approx((26 + 46 + 76 + 56) / 4)
    assert (pipes["good"], pipes["fair"], pipes["poor"], pipes["failed"],
            pipes["condition_unknown"]) == (1, 1, 1, 1, 0)
    second = row(rows, area_code=W2, layer="water_pipes")
    assert second["count"] == 2 and second["condition_unknown"] == 1 and second["good"] == 1
    assert second["length_m"] == pytest.approx(PIPE_M + CROSSING_M, abs=0.01)
    assert second["mean_age_y"] == pytest.approx(16)
    assert row(rows, area_code=W1, layer="luminaires")["count"] == 2
    assert row(rows, area_code=W2, layer="luminaires")["count"] == 1
    assert pd.isna(row(rows, area_code=W1, layer="luminaires")["length_m"])


def test_an_asset_on_a_ward_boundary_counts_once(city):
    lamp = city.execute(sa.text("SELECT ward_code FROM luminaires WHERE id = 'LUM-000003'"))
    assert lamp.scalar_one() == W1, "on the boundary: the lower code"
    wards = planning.inventory(city, "ward")
    lamps = wards[wards["layer"] == "luminaires"]
    whole = row(planning.inventory(city, "city"), layer="luminaires")
    assert lamps["count"].sum() == whole["count"] == 3


def test_a_ward_with_nothing_has_rows_of_zeros(city):
    rows = planning.inventory(city, "ward", ward=W3)
    assert set(rows["area_code"]) == {W3}
    assert len(rows) == len([s for s in planning.inventory(city, "city")["layer"]])
    assert (rows["count"] == 0).all() and rows["mean_age_y"].isna().all()
    pipes = row(rows, layer="water_pipes")
    assert pipes["length_m"] == 0.0
    ages = planning.age_profile(city, "ward", ward=W3)
    assert len(ages) == len(rows) * len(planning.AGE_BANDS) and (ages["count"] == 0).all()
    assert planning.materials(city, "ward", ward=W3).empty
    assert planning.renewal(city, "ward", ward=W3, from_year=AS_OF).empty
    targets = planning.programme_targets(city, "ward", ward=W3)
    assert list(targets["metric"]) == list(planning.METRICS)
    assert targets["value"].isna().all() and targets["met"].isna().all()


def test_city_and_district_add_up_the_wards(city):
    city_rows = planning.inventory(city, "city")
    district = planning.inventory(city, "district")
    pipes = row(city_rows, layer="water_pipes")
    assert (pipes["area_code"], pipes["area_name"]) == ("city", "Bắc Giang")
    assert pipes["count"] == 6
    assert pipes["length_m"] == pytest.approx(5 * PIPE_M + CROSSING_M, abs=0.01)
    assert row(district, layer="water_pipes")["count"] == 6
    assert row(district, layer="water_pipes")["area_code"] == "213"


def test_assets_outside_every_ward_have_their_own_row_so_the_wards_add_up(city):
    """WP-000005 (steel, 1970: in the backlog, 2,000,000 × 1.5 VND per m) and LUM-000001
    (150 W LED of 2020, 8,000,000 VND) put outside every ward: a "none" row at the ward level carries them."""
    city.execute(sa.text("UPDATE water_pipes SET ward_code = NULL WHERE id = 'WP-000005'"))
    city.execute(sa.text("UPDATE luminaires SET ward_code = NULL WHERE id = 'LUM-000001'"))
    stock = planning.inventory(city, levels=["ward", "city"])
    outside = row(stock, area_level="ward", area_code="none", layer="water_pipes")
    assert (outside["area_name"], outside["count"]) == ("outside every ward", 1)
    wards = stock[stock["area_level"] == "ward"].groupby("layer")["count"].sum()
    whole = stock[stock["area_level"] == "city"].set_index("layer")["count"]
    assert (wards == whole.reindex(wards.index)).all()
    plan = planning.renewal(city, levels=["ward", "city"], from_year=AS_OF)
    none = plan[plan["area_code"] == "none"]
    assert none["cost_vnd"].sum() == pytest.approx(2_000_000 * 1.5 * PIPE_M + 8_000_000), \
        "the pipe, and the LED lamp (2020 + 15 years, due 2035)"
    by_level = plan.groupby("area_level")["cost_vnd"].sum()
    assert by_level["ward"] == pytest.approx(by_level["city"])
    energy = planning.lighting_energy(city, year=AS_OF).by_ward.set_index("area_code")
    assert energy.loc["none", "luminaires"] == 1 and energy.loc["none", "installed_kw"] == 0.15
    wards_kwh = energy.loc[energy["area_level"] == "ward", "kwh"].sum()
    assert wards_kwh == pytest.approx(energy.loc["city", "kwh"])


def test_districts_add_up_to_the_city_with_assets_outside_every_ward(city):
    """WP-000005 outside every ward has no district either: at the district level it gets a
    row of its own, as at the ward level, so the districts add up to the city."""
    city.execute(sa.text("UPDATE water_pipes SET ward_code = NULL WHERE id = 'WP-000005'"))
    stock = planning.inventory(city, levels=["district", "city"])
    pipes = stock[stock["layer"] == "water_pipes"].set_index("area_code")
    assert pipes.loc["213", "count"] == 5
    assert (pipes.loc["none", "area_level"], pipes.loc["none", "area_name"],
            pipes.loc["none", "count"]) == ("district", "outside every district", 1)
    assert pipes.loc[["213", "none"], "count"].sum() == pipes.loc["city", "count"] == 6
    plan = planning.renewal(city, levels=["district", "city"], from_year=AS_OF)
    by_level = plan.groupby("area_level")["cost_vnd"].sum()
    assert by_level["district"] == pytest.approx(by_level["city"])
    assert "none" not in set(planning.inventory(city, "district", ward=W1)["area_code"]), \
        "asked for one ward's district: that district only"


def test_age_profile(city):
    rows = planning.age_profile(city, "ward", as_of=AS_OF)
    pipes = rows[(rows["area_code"] == W1) & (rows["layer"] == "water_pipes")]
    assert dict(zip(pipes["age_band"], pipes["count"], strict=True)) == {
        "0-9": 0, "10-19": 0, "20-29": 1, "30-39": 0, "40+": 3, "unknown": 0}
    assert row(pipes, age_band="40+")["length_m"] == pytest.approx(3 * PIPE_M, abs=0.01)
    second = rows[(rows["area_code"] == W2) & (rows["layer"] == "water_pipes")]
    assert row(second, age_band="10-19")["count"] == 1
    assert row(second, age_band="unknown")["count"] == 1


def test_materials(city):
    rows = planning.materials(city, "ward")
    pipes = rows[rows["layer"] == "water_pipes"]
    assert dict(zip(pipes.loc[pipes["area_code"] == W1, "material"],
                    pipes.loc[pipes["area_code"] == W1, "count"], strict=True)) == {
        "HDPE": 1, "CI": 1, "DI": 1, "steel": 1}
    assert dict(zip(pipes.loc[pipes["area_code"] == W2, "material"],
                    pipes.loc[pipes["area_code"] == W2, "count"], strict=True)) == {
        "PVC": 1, "unknown": 1}
    lamps = rows[(rows["layer"] == "luminaires") & (rows["area_code"] == W1)]
    assert row(lamps, material="LED")["count"] == 2


def test_renewal_by_ward_and_year(city):
    rows = planning.renewal(city, "ward", from_year=AS_OF, years=10)
    first = rows[rows["area_code"] == W1]
    failed = row(first, layer="water_pipes", material="CI")
    assert (failed["due_year"], failed["reason"]) == (2026, "condition failed")
    assert failed["cost_vnd"] == pytest.approx(1_550_000 * 2 * PIPE_M), "CI per 100 mm, DN200"
    assert failed["costed_as"] == "CI"
    backlog = row(first, layer="water_pipes", material="steel")
    assert (backlog["due_year"], backlog["reason"]) == (2026, "past service life"), \
        "1970 + 40 years: in the backlog, shown in the first year"
    assert backlog["cost_vnd"] == pytest.approx(2_000_000 * 1.5 * PIPE_M), "no diameter: DN150"
    due = row(first, layer="water_pipes", material="DI")
    assert due["due_year"] == 1950 + 80 and due["length_m"] == pytest.approx(PIPE_M, abs=0.01)
    assert "HDPE" not in set(first["material"]), "2000 + 50 is beyond the horizon"
    lamps = row(first, layer="luminaires")
    assert (lamps["due_year"], lamps["count"], lamps["cost_vnd"]) == (2035, 2, 16_000_000)
    trees = first[first["layer"] == "trees"]
    assert list(trees["due_year"]) == [2027, 2029, 2031, 2033, 2035]
    assert set(trees["reason"]) == {"tree inspection due"} and (trees["cost_vnd"] == 150_000).all()
    second = rows[rows["area_code"] == W2]
    assert list(second.loc[second["layer"] == "trees", "due_year"]) == [2026, 2028, 2030, 2032,
                                                                      2034], "never inspected"
    lamp = row(second, layer="luminaires")
    assert (lamp["due_year"], lamp["reason"], lamp["cost_vnd"]) == (2026, "condition failed",
                                                                    8_000_000)
    assert set(second["layer"]) == {"trees", "luminaires"}
    total = planning.renewal(city, "city", from_year=AS_OF)["cost_vnd"].sum()
    pipes = (1_550_000 * 2 + 2_000_000 * 1.5 + 1_550_000 * 1.5) * PIPE_M  # CI, steel, DI
    assert total == pytest.approx(pipes + 24_000_000 + 10 * 150_000)


def test_a_unit_cost_set_by_the_user_changes_renewal_and_is_audited(city):
    before = planning.unit_costs(city)
    assert before["assumption"].all() and before["note"].str.len().gt(20).all()
    row_ = planning.set_unit_cost(city, "water_pipes", "steel", cost_vnd=1_000_000,
                                  service_life_y=60, actor="planner")
    assert (row_["cost_vnd"], row_["service_life_y"], row_["assumption"]) == (1e6, 60, False)
    rows = planning.renewal(city, "ward", ward=W1, from_year=AS_OF)
    steel = row(rows, layer="water_pipes", material="steel")
    assert steel["due_year"] == 2030 and \
        steel["cost_vnd"] == pytest.approx(1_000_000 * 1.5 * PIPE_M)
    audit = city.execute(sa.text("SELECT actor, action, target, after->>'cost_vnd' FROM "
                                 "audit_log ORDER BY id DESC LIMIT 1")).one()
    assert tuple(audit) == ("planner", "planning.unit_cost", "water_pipes/steel", "1000000.0")
    with pytest.raises(InvalidInput, match="cost_vnd must be >= 0"):
        planning.set_unit_cost(city, "water_pipes", "steel", cost_vnd=-1, actor="planner")
    with pytest.raises(InvalidInput, match="unknown asset layer 'pipes'"):
        planning.set_unit_cost(city, "pipes", "*", cost_vnd=1, actor="planner")


def test_a_material_is_matched_whatever_its_spelling_and_a_fallback_is_shown(city):
    """' upvc ' is the PVC row (40 years, 800,000 VND per m per 100 mm), 'Ductile Iron' the DI
    row (80 years); 'bamboo' has no row: the water pipes' '*' row (50 years, 1,300,000)."""
    for pipe, material in (("WP-000005", " upvc "), ("WP-000002", "Ductile Iron"),
                           ("WP-000001", "bamboo")):
        city.execute(sa.text("UPDATE water_pipes SET material = :m, condition = 'good', "
                             "install_year = 1975 WHERE id = :id"), {"m": material, "id": pipe})
    rows = planning.renewal(city, "ward", ward=W1, from_year=AS_OF)
    upvc = row(rows, layer="water_pipes", material=" upvc ")
    assert (upvc["costed_as"], upvc["due_year"]) == ("PVC", 2026), "1975 + 40: backlog"
    assert upvc["cost_vnd"] == pytest.approx(800_000 * 1.5 * PIPE_M)
    assert "Ductile Iron" not in set(rows["material"]), "1975 + 80 = 2055: beyond the horizon"
    bamboo = row(rows, layer="water_pipes", material="bamboo")
    assert (bamboo["costed_as"], bamboo["due_year"]) == ("*", 2026), "1975 + 50 = 2025"
    assert bamboo["cost_vnd"] == pytest.approx(1_300_000 * 1.5 * PIPE_M)


def test_a_unit_cost_set_under_another_spelling_updates_the_row_that_costs_it(city):
    """The demo writes 'uPVC' mains, costed by the PVC row through the alias table: a planner
    who sets 'uPVC' or 'pvc' sets that row. (A row of its own would be ignored ('uPVC': the
    alias wins) or cost the pipe twice ('pvc' and 'PVC' both match).) WP-000005 made a 1975
    ' upvc ' main: in the backlog, DN150."""
    city.execute(sa.text("UPDATE water_pipes SET material = ' upvc ', condition = 'good', "
                         "install_year = 1975 WHERE id = 'WP-000005'"))
    for spelling, cost in (("uPVC", 900_000), ("pvc", 700_000)):
        written = planning.set_unit_cost(city, "water_pipes", spelling, cost_vnd=cost,
                                         actor="planner")
        assert (written["material"], written["cost_vnd"]) == ("PVC", cost)
        upvc = row(planning.renewal(city, "ward", ward=W1, from_year=AS_OF),
                   layer="water_pipes", material=" upvc ")
        assert (upvc["count"], upvc["costed_as"]) == (1, "PVC"), spelling
        assert upvc["cost_vnd"] == pytest.approx(cost * 1.5 * PIPE_M), spelling
    costs = planning.unit_costs(city)
    pipes = costs.loc[costs["layer"] == "water_pipes", "material"]
    assert pipes.str.upper().value_counts().max() == 1 and "uPVC" not in set(pipes)
    audit = city.execute(sa.text("SELECT target FROM audit_log WHERE action = "
                                 "'planning.unit_cost' ORDER BY id")).scalars().all()
    assert audit == ["water_pipes/PVC", "water_pipes/PVC"]


def test_a_service_life_must_be_whole_years(city):
    with pytest.raises(InvalidInput, match="service_life_y must be a whole number of years, "
                                           "got 0.5"):
        planning.set_unit_cost(city, "water_pipes", "steel", service_life_y=0.5,  # type: ignore[arg-type]
                               actor="planner")


def test_roads_are_costed_per_square_metre(city):
    """RD-000001 (the north arm of J1, 0.001° of latitude) 10 m wide and RD-000002 (its east
    arm, 0.001° of longitude) with no width (7 m), both laid in 2000: asphalt lasts 15 years,
    200,000 VND/m²."""
    city.execute(sa.text("UPDATE roads SET install_year = 2000, width_m = CASE id WHEN "
                         "'RD-000001' THEN 10 END WHERE id IN ('RD-000001', 'RD-000002')"))
    north_m = GEOD.inv(LON + 0.5 * STEP, LAT + 0.9 * STEP, LON + 0.5 * STEP, LAT + 1.0 * STEP)[2]
    east_m = GEOD.inv(LON + 0.5 * STEP, LAT + 0.9 * STEP, LON + 0.6 * STEP, LAT + 0.9 * STEP)[2]
    roads = row(planning.renewal(city, "ward", ward=W1, from_year=AS_OF), layer="roads")
    assert (roads["due_year"], roads["count"]) == (2026, 2)
    assert roads["cost_vnd"] == pytest.approx(200_000 * (north_m * 10 + east_m * 7), rel=1e-6)


def test_programme_targets(city):
    rows = planning.programme_targets(city, "ward")
    expect = {  # (ward, metric): (numerator, denominator)
        (W1, "fibre_households"): (3, 10), (W2, "fibre_households"): (4, 2),
        (W1, "fibre_groups"): (1, 2), (W2, "fibre_groups"): (1, 1),
        (W1, "camera_junctions"): (1, 1), (W2, "camera_junctions"): (0, 1),
        (W1, "lamps_working"): (2, 2), (W2, "lamps_working"): (0, 1)}
    for (ward, metric), (numerator, denominator) in expect.items():
        hit = row(rows, area_code=ward, metric=metric)
        assert (hit["numerator"], hit["denominator"]) == (numerator, denominator), (ward, metric)
        assert hit["value"] == pytest.approx(numerator / denominator)
    assert row(rows, area_code=W1, metric="fibre_households")["target"] == 0.8
    assert not row(rows, area_code=W1, metric="fibre_households")["met"]
    assert row(rows, area_code=W1, metric="camera_junctions")["met"]
    whole = planning.programme_targets(city, "city")
    households = row(whole, metric="fibre_households")
    assert (households["numerator"], households["denominator"]) == (3 + 4, 10 + 2), \
        "the city is the sum of its wards (W2's 4 households on 2 power customers not clipped)"
    assert row(whole, metric="fibre_groups")["value"] == pytest.approx(2 / 3)


def test_fibre_households_count_households_only(city):
    """ONT-000001 (3 households, W1) made a business terminal leaves W1's numerator; SP-000001
    (10 customers) put in a shop leaves its denominator; SP-000002 in a house stays."""
    city.execute(sa.text("UPDATE customer_terminals SET service = 'business' "
                         "WHERE id = 'ONT-000001'"))
    city.execute(sa.text(
        "INSERT INTO buildings (id, use, geom) VALUES "
        "('BLD-000001', 'Commercial', ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(:x, :y), 4326), "
        "0.0001))), ('BLD-000002', 'residential', ST_Multi(ST_Buffer(ST_SetSRID(ST_Point(:x2, "
        ":y2), 4326), 0.0001)))"),
        {"x": LON + 0.6 * STEP, "y": LAT + 0.6 * STEP, "x2": LON + 1.7 * STEP,
         "y2": LAT + 0.7 * STEP})
    city.execute(sa.text("UPDATE service_points SET building_id = CASE id WHEN 'SP-000001' "
                         "THEN 'BLD-000001' ELSE 'BLD-000002' END"))
    rows = planning.programme_targets(city, "ward")
    first = row(rows, area_code=W1, metric="fibre_households")
    assert (first["numerator"], first["denominator"]) == (0, 0) and pd.isna(first["value"])
    second = row(rows, area_code=W2, metric="fibre_households")
    assert (second["numerator"], second["denominator"]) == (4, 2)


def test_a_target_set_by_the_user_is_used(city):
    planning.set_target(city, "fibre_households", 0.25, actor="planner")
    rows = planning.programme_targets(city, "ward", ward=W1)
    assert row(rows, metric="fibre_households")["met"]
    with pytest.raises(InvalidInput, match="target must be >= 0 and <= 1"):
        planning.set_target(city, "fibre_households", 1.5, actor="planner")


@pytest.mark.parametrize("name", ["Trần Phú", "tran phu", "PHƯỜNG TRẦN PHÚ", "phuong tran phu",
                                  W1])
def test_a_ward_is_named_by_code_or_name_without_accents(city, name):
    assert planning.resolve_ward(city, name) == planning.Ward(W1, "Phường Trần Phú", "213")


def test_an_unknown_ward_is_refused_with_close_names(city):
    with pytest.raises(InvalidInput, match="unknown ward 'Tran Pho'; did you mean "
                                           "'Phường Trần Phú'"):
        planning.inventory(city, "ward", ward="Tran Pho")
    with pytest.raises(InvalidInput, match="unknown level 'province'"):
        planning.inventory(city, "province")


def test_residential_groups_are_imported_like_other_layers(server_url, template_url, tmp_path):
    from ingest.files import import_gis_file
    from tests.planning_support import _areas, square
    from twin.write import Dataset

    areas = _areas()
    empty = Dataset(layers={"districts": areas["districts"], "wards": areas["wards"]})
    groups = gpd.GeoDataFrame(
        {"id": ["00002-TH01", "00002-TH02"], "name": ["Thôn Một", "Thôn Hai"],
         "kind": ["Thôn", "Thôn"], "ward_code": [W2, W2]},
        geometry=[square(1, 0, 2, 0.5), square(1, 0.5, 2, 1)], crs=4326)
    path = tmp_path / "groups.geojson"
    groups.to_file(path, driver="GeoJSON")
    with database_of(empty, server_url, template_url) as engine:
        written = import_gis_file(engine, path, layer="residential_groups")
        assert written["residential_groups"] == 2
        with engine.connect() as conn:
            rows = planning.programme_targets(conn, "ward", ward=W2)
        groups_row = row(rows, metric="fibre_groups")
        assert (groups_row["numerator"], groups_row["denominator"]) == (0, 2), \
            "the twin gives imported groups their ward, as it gives assets theirs"


def test_one_query_rolls_up_every_level_at_once(city):
    rows = planning.inventory(city, levels=["ward", "district", "city"])
    pipes = rows[rows["layer"] == "water_pipes"].set_index("area_code")
    assert list(pipes["area_level"]) == ["ward", "ward", "ward", "district", "city"]
    assert pipes.loc[[W1, W2, W3], "count"].sum() == pipes.loc["213", "count"] == \
        pipes.loc["city", "count"] == 6
    renewal = planning.renewal(city, levels=["ward", "city"], from_year=AS_OF)
    by_level = renewal.groupby("area_level")["cost_vnd"].sum()
    assert by_level["ward"] == pytest.approx(by_level["city"])
