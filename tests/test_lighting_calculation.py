"""The pure lighting calculation against values worked by hand: one isotropic source, the exact
mean over a rectangle, a uniform row, dimming, an uplight, trees, the reach cut-off against
every-luminaire sums, incremental what-ifs against full recomputes, grids and classes."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from simulation.lighting import read_photometry, study_lighting
from simulation.lighting.calculation import Chunking
from simulation.lighting.classes import best_c_class, best_p_class
from simulation.lighting.crowns import Crowns, shade
from simulation.lighting.grid import FOOTWAY, longitudinal_step
from simulation.lighting.photometry import Photometry
from tests.conftest import shared_file
from twin.errors import InvalidInput

CRS = "EPSG:9214"
X0, Y0 = 420_000.0, 2_350_000.0
I_CD = 1000.0
ISOTROPIC = Photometry("isotropic", np.array([0.0, 360.0]), np.array([0.0, 180.0]),
                       np.full((2, 2), I_CD))
MF = 0.8


def road(length: float = 100.0, width: float = 6.0, lanes: int = 2) -> gpd.GeoDataFrame:
    """A straight road along +x from (X0, Y0)."""
    return gpd.GeoDataFrame({"width_m": [width], "lanes": [lanes], "road_class": ["residential"]},
                            geometry=[shapely.LineString([(X0, Y0), (X0 + length, Y0)])],
                            index=pd.Index(["RD-1"], name="id"), crs=CRS)


def lamps(xy: list[tuple[float, float]], height: float = 8.0, photometry: str = "isotropic",
          **columns: object) -> gpd.GeoDataFrame:
    """Luminaires at (dx, dy) from the road's start, facing north, untilted."""
    n = len(xy)
    data = {"mounting_height_m": height, "tilt_deg": 0.0, "orientation_deg": 0.0,
            "photometry": photometry, "wattage_w": 50.0, "road_id": "RD-1", **columns}
    return gpd.GeoDataFrame(data, geometry=[shapely.Point(X0 + x, Y0 + y) for x, y in xy],
                            index=pd.Index([f"LUM-{k}" for k in range(n)], name="id"), crs=CRS)


def study(luminaires: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None,
          photometry: Photometry = ISOTROPIC, trees: gpd.GeoDataFrame | None = None):
    return study_lighting(luminaires, road() if roads is None else roads, trees,
                          photometries={photometry.name: photometry}, maintenance_factor=MF)


def test_isotropic_source_gives_i_over_h2_at_nadir_and_cos3_off_axis() -> None:
    s = study(lamps([(50.0, 0.0)]))
    g = s.grid
    d = np.hypot(g.x - (X0 + 50), g.y - Y0)
    cos_g = 8.0 / np.hypot(d, 8.0)
    expected = MF * I_CD * cos_g ** 3 / 8.0 ** 2
    assert s.E == pytest.approx(expected, rel=1e-6)  # computed in float32
    nearest = np.argmin(d)
    assert s.E[nearest] == pytest.approx(MF * I_CD / 64 * (8 / np.hypot(d[nearest], 8)) ** 3,
                                         rel=1e-6)
    assert s.E.max() <= MF * I_CD / 64


def test_grid_mean_converges_to_the_exact_mean_over_the_rectangle() -> None:
    """Isotropic source h above a corner of an a × b carriageway: ∫E dA = I·Ω with
    Ω = atan(ab / (h √(a² + b² + h²))), the solid angle of the rectangle."""
    a, b, h = 30.0, 8.0, 6.0
    exact = MF * I_CD * math.atan(a * b / (h * math.sqrt(a * a + b * b + h * h))) / (a * b)
    errors = []
    for lanes in (1, 4, 16):
        roads = road(a, b, lanes)
        roads.geometry = [shapely.LineString([(X0, Y0 + b / 2), (X0 + a, Y0 + b / 2)])]
        s = study(lamps([(0.0, 0.0)], height=h, road_id="RD-1"), roads)
        errors.append(abs(s.E.mean() - exact) / exact)
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.002


def test_uniform_row_of_luminaires_sums_every_one() -> None:
    """Isotropic luminaires every 30 m on the centreline, x = -30 … 120 m (all within reach of
    the points near x = 45 m): E there is the hand sum Σ I·h/d³, and the pattern is mirror
    symmetric about the row's middle."""
    xs = [30.0 * k for k in range(-1, 5)]
    s = study(lamps([(x, 0.0) for x in xs]), road(90.0))
    g = s.grid
    i = np.argmin(np.hypot(g.x - (X0 + 45), g.y - (Y0 + 1)))
    px, py = g.x[i] - X0, g.y[i] - Y0
    hand = sum(MF * I_CD * 8.0 / (math.hypot(px - x, py) ** 2 + 64) ** 1.5 for x in xs)
    assert s.E[i] == pytest.approx(hand, rel=1e-6)
    line = np.abs(g.y - Y0 - py) < 1e-6
    along = np.argsort(g.x[line])
    assert s.E[line][along] == pytest.approx(s.E[line][along][::-1], rel=1e-6)


def test_dimming_to_half_halves_every_value() -> None:
    full = study(lamps([(20.0, 4.0), (70.0, -4.0)]))
    half = study(lamps([(20.0, 4.0), (70.0, -4.0)], output=0.5))
    assert half.E == pytest.approx(full.E / 2, rel=1e-6)
    halved = full.figures()[["eav", "emin"]] / 2
    assert np.allclose(half.figures()[["eav", "emin"]], halved, rtol=1e-6, atol=0)


def test_a_pure_uplight_adds_nothing_to_the_road() -> None:
    uplight = read_photometry(shared_file("photometry/eulumdat-analysis_sample_05.ldt"))
    s = study(lamps([(50.0, 0.0)], photometry=uplight.name), photometry=uplight)
    assert not s.E.any()


def test_tilt_and_orientation_turn_the_pattern_on_the_ground() -> None:
    """A road optic facing north lights the north half of the road more; facing south, the
    south half; the same optic tilted up 15° throws its street-side beam further."""
    optic = "builtin:led-road-medium"
    wide = road(100.0, 20.0, 6)

    def halves(orientation: float, tilt: float = 0.0) -> tuple[float, float]:
        s = study_lighting(lamps([(50.0, 0.0)], photometry=optic, orientation_deg=orientation,
                                 tilt_deg=tilt), wide)
        north = s.grid.y > Y0
        return s.E[north].sum(), s.E[~north].sum()

    n, s_ = halves(0.0)
    assert n > 1.2 * s_
    assert halves(180.0) == pytest.approx((s_, n), rel=1e-5)
    s0 = study_lighting(lamps([(50.0, 0.0)], photometry=optic), wide)
    s15 = study_lighting(lamps([(50.0, 0.0)], photometry=optic, tilt_deg=15.0), wide)
    far = s0.grid.y > Y0 + 7
    assert s15.E[far].sum() > s0.E[far].sum()


def test_a_crown_between_lamp_and_road_takes_light_and_is_on_the_pruning_list() -> None:
    """A crown over the footway beside the luminaire shades the points beyond it; a crown
    high above the luminaire shades nothing (light goes down)."""
    luminaires = lamps([(50.0, 4.0)])
    trees = gpd.GeoDataFrame({"height_m": [9.0, 30.0], "crown_diameter_m": [6.0, 6.0]},
                             geometry=[shapely.Point(X0 + 54, Y0 + 3), shapely.Point(X0 + 20, Y0)],
                             index=pd.Index(["TRE-1", "TRE-2"], name="id"), crs=CRS)
    bare = study(luminaires)
    shaded = study(luminaires, trees=trees)
    assert (shaded.E <= bare.E + 1e-12).all()
    assert shaded.E.sum() < 0.95 * bare.E.sum()
    assert list(shaded.shade["tree_id"]) == ["TRE-1"]
    lost_lm = ((bare.E - shaded.E) * shaded.grid.step_m * shaded.grid.width_m).sum()
    assert shaded.shade["lost_lm"].sum() == pytest.approx(lost_lm, rel=1e-5)


def test_a_ray_through_a_crown_keeps_exp_minus_k_times_the_chord() -> None:
    """Lamp 8 m up at the origin, ground point 10 m east: the ray passes through (5, 0, 4),
    the centre of a 2 m-radius crown, so it crosses 4 m of leaves and keeps e^(-0.5·4); a ray
    to a point 10 m north misses it."""
    crowns = Crowns(np.array([5.0]), np.array([0.0]), np.array([4.0]), np.array([2.0]),
                    np.array([2.0]), k=0.5)
    found = shade(crowns, np.array([0, 0]), np.array([0.0]), np.array([0.0]), np.array([8.0]),
                  np.array([10.0, 0.0]), np.array([0.0, 10.0]))
    assert found.through == pytest.approx([math.exp(-2.0), 1.0])
    assert list(found.ray) == [0] and found.depth == pytest.approx([2.0])


def test_reach_cut_off_stays_within_half_a_percent_of_every_luminaire() -> None:
    """Built-in optics on a grid of streets: the reach-limited sum against the sum over every
    luminaire (the brute-force reference), with trees."""
    rng = np.random.default_rng(5)
    lines = [shapely.LineString([(X0, Y0 + 60 * k), (X0 + 600, Y0 + 60 * k)]) for k in range(4)]
    roads = gpd.GeoDataFrame({"width_m": 7.0, "lanes": 2, "road_class": "residential"},
                             geometry=lines, index=pd.Index([f"RD-{k}" for k in range(4)]),
                             crs=CRS)
    xy = [(x, 60 * k + 4.5) for k in range(4) for x in np.arange(10, 600, 25.0)]
    luminaires = lamps(xy, photometry="builtin:led-road-medium",
                       orientation_deg=180.0, tilt_deg=rng.choice([0.0, 5.0], len(xy)),
                       road_id=[f"RD-{k}" for k in range(4) for _ in np.arange(10, 600, 25.0)])
    spots = [shapely.Point(X0 + x, Y0 + 60 * k - 5) for k in range(4)
             for x in np.arange(0, 600, 15.0)]
    trees = gpd.GeoDataFrame({"height_m": np.full(len(spots), 10.0),
                              "crown_diameter_m": np.full(len(spots), 5.0)},
                             geometry=spots, crs=CRS)
    s = study_lighting(luminaires, roads, trees)
    sample = rng.choice(len(s.grid), 400, replace=False)
    reference = s.scene.brute_force(s.output, sample)
    assert np.abs(s.E[sample] / reference - 1).max() < 0.005


def test_one_lamp_what_if_equals_a_full_recompute() -> None:
    luminaires = lamps([(x, 4.0) for x in range(0, 100, 25)], photometry="builtin:led-road-medium",
                       orientation_deg=180.0)
    base = study_lighting(luminaires, road())
    failed = base.with_output({"LUM-1": 0.0, "LUM-2": 0.4})
    direct = study_lighting(luminaires.assign(output=[1.0, 0.0, 0.4, 1.0]), road())
    assert failed.E == pytest.approx(direct.E, rel=1e-5, abs=1e-6)
    swapped = base.with_luminaires(luminaires.loc[["LUM-3"]].assign(
        photometry="builtin:hps-road", wattage_w=100.0))
    direct = study_lighting(luminaires.assign(
        photometry=["builtin:led-road-medium"] * 3 + ["builtin:hps-road"],
        wattage_w=[50.0] * 3 + [100.0]), road())
    assert swapped.E == pytest.approx(direct.E, rel=1e-5, abs=1e-6)
    added = base.with_luminaires(lamps([(60.0, -4.0)], photometry="builtin:led-road-wide",
                                       orientation_deg=0.0).set_axis(["LUM-new"]))
    assert added.E.sum() > base.E.sum()
    # a built-in the study already uses still scales with the luminaire's wattage
    doubled = base.with_luminaires(luminaires.loc[["LUM-0"]].assign(wattage_w=100.0))
    direct = study_lighting(luminaires.assign(wattage_w=[100.0, 50.0, 50.0, 50.0]), road())
    assert doubled.E == pytest.approx(direct.E, rel=1e-5, abs=1e-6)


def test_unknown_photometry_and_bad_height_are_refused() -> None:
    with pytest.raises(InvalidInput, match="luminaire LUM-0: column 'photometry': unknown "
                                           "photometry 'builtin:nope'"):
        study_lighting(lamps([(0.0, 0.0)], photometry="builtin:nope"), road())
    with pytest.raises(InvalidInput, match="luminaire LUM-0: column 'mounting_height_m'"):
        study_lighting(lamps([(0.0, 0.0)], height=-1.0, photometry="builtin:hps-road"), road())
    with pytest.raises(InvalidInput, match="metric"):
        study_lighting(lamps([(0.0, 0.0)]).to_crs(4326), road())


def test_grid_follows_en_13201_3() -> None:
    """D = S/10 up to S = 30 m, else the smallest N with D ≤ 3 m; three points per lane,
    first row and column at half a step."""
    assert longitudinal_step(np.array([25.0, 30.0, 31.0, 45.0])) == pytest.approx(
        [2.5, 3.0, 31 / 11, 3.0])
    s = study(lamps([(x, 0.0) for x in range(0, 100, 25)]), road(100.0, 7.0, 2))
    g = s.grid
    assert len(g) == 40 * 6  # S = 25 m → D = 2.5 m → 40 rows; 2 lanes → 6 across
    assert sorted(set(np.round(g.y - Y0, 6))) == pytest.approx(
        [-3.5 + (k + 0.5) * 7 / 6 for k in range(6)])
    assert g.x.min() - X0 == pytest.approx(1.25)
    walk = road(100.0, 7.0, 2).assign(footway_width_m=2.4)
    s = study(lamps([(x, 0.0) for x in range(0, 100, 25)]), walk)
    footway = s.grid.surface == FOOTWAY
    assert footway.sum() == 40 * 2 * 3  # both sides, one "lane" of three points each
    assert sorted(set(np.round(np.abs(s.grid.y[footway] - Y0), 6))) == pytest.approx(
        [3.5 + (k + 0.5) * 0.8 for k in range(3)])
    figures = s.figures().loc["RD-1"]
    assert figures["points"] == 240
    assert figures["footway_eav"] == pytest.approx(s.E[footway].mean())
    assert figures["footway_eav"] < figures["eav"]


def test_classes_follow_en_13201_2_tables() -> None:
    assert list(best_c_class(np.array([16.0, 16.0, 55.0]), np.array([0.41, 0.39, 0.5]))) == [
        "C3", None, "C0"]
    assert list(best_p_class(np.array([5.5, 5.5, 1.0]), np.array([1.0, 0.9, 1.0]))) == [
        "P4", "P5", None]


def test_a_real_file_lights_the_road_at_its_own_intensities() -> None:
    """The ASA 15M R2 file, named as the luminaires name it, hung 10 m right above a grid
    point: E there = MF·I(γ 0)/h² with I(γ 0) = 1666 cd (the file's first value), whatever the
    luminaire's wattage."""
    asa = read_photometry(shared_file("photometry/luxcore_ASA_15M_R2.ies"))
    first = study_lighting(lamps([(50.0, 0.5)], height=10.0, photometry="asa"), road(),
                           photometries={"asa": asa}, maintenance_factor=MF)
    below = np.argmin(np.hypot(first.grid.x - (X0 + 50), first.grid.y - (Y0 + 0.5)))
    spot = (first.grid.x[below] - X0, first.grid.y[below] - Y0)
    s = study_lighting(lamps([spot], height=10.0, photometry="asa", wattage_w=999.0), road(),
                       photometries={"asa": asa}, maintenance_factor=MF)
    assert s.E[below] == pytest.approx(MF * 1666 / 100, rel=1e-6)


def test_a_study_with_no_dark_spot_and_no_tree_answers_in_json_and_geojson() -> None:
    from simulation.lighting.result import LightingResult, dark_spots, pruning_list

    s = study(lamps([(x, 0.0) for x in range(0, 100, 20)]))
    spots = dark_spots(s, dark_lux=0.01)
    assert len(spots) == 0 and len(pruning_list(s)) == 0
    roads = gpd.GeoDataFrame(s.figures(), geometry=road().geometry, crs=CRS).to_crs(4326)
    result = LightingResult(roads, spots.to_crs(4326), pruning_list(s), s, CRS)
    assert result.to_json()["roads"][0]["road_id"] == "RD-1"
    assert [f["properties"]["kind"] for f in result.to_geojson()["features"]] == ["road"]


def test_chunks_on_threads_give_the_values_of_one_chunk() -> None:
    """Luminaires of two photometries among trees, computed in chunks of 7 on two threads and
    as one chunk on one thread: the same illuminance and the same pruning list."""
    lines = [shapely.LineString([(X0, Y0 + 40 * k), (X0 + 300, Y0 + 40 * k)]) for k in range(3)]
    roads = gpd.GeoDataFrame({"width_m": 7.0, "lanes": 2, "footway_width_m": 2.0},
                             geometry=lines, index=pd.Index([f"RD-{k}" for k in range(3)]),
                             crs=CRS)
    xy = [(x, 40 * k + 4.5) for k in range(3) for x in np.arange(10, 300, 20.0)]
    luminaires = lamps(xy, photometry=["builtin:led-road-medium", "builtin:hps-road"] * 22 + [
        "builtin:led-road-wide"], orientation_deg=180.0, tilt_deg=[0.0, 5.0, 10.0] * 15,
        road_id=[f"RD-{k}" for k in range(3) for _ in np.arange(10, 300, 20.0)])
    spots = [shapely.Point(X0 + x, Y0 + 40 * k - 5) for k in range(3)
             for x in np.arange(0, 300, 12.0)]
    trees = gpd.GeoDataFrame({"height_m": np.full(len(spots), 9.0),
                              "crown_diameter_m": np.full(len(spots), 5.0)},
                             geometry=spots, crs=CRS)
    chunked = study_lighting(luminaires, roads, trees, chunking=Chunking(lamps=7, threads=2))
    whole = study_lighting(luminaires, roads, trees,
                           chunking=Chunking(lamps=len(luminaires), threads=1))
    assert len(whole.shade) > 10
    assert chunked.E == pytest.approx(whole.E, rel=1e-12, abs=1e-12)
    pd.testing.assert_frame_equal(chunked.shade.sort_values(["tree_id", "road_id"],
                                                            ignore_index=True),
                                  whole.shade.sort_values(["tree_id", "road_id"],
                                                          ignore_index=True),
                                  rtol=1e-12)
