"""``twin export-html``: a standalone pydeck map of the twin that opens with no network."""

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point

from layers import LAYERS
from tests.browser_support import image_variance, keep_shot, leaves_localhost
from tests.conftest import run_twin
from twin.errors import InvalidInput
from web.export_html import export_html, external_tags, strip_external_tags
from web.pydeck_layers import METRES_PER_DEGREE, deck_layers

PYDECK_HEAD = """<head>
<script src="https://api.tiles.mapbox.com/mapbox-gl-js/v1.13.0/mapbox-gl.js"></script>
<link rel="stylesheet" href="https://unpkg.com/maplibre-gl@5.14.0/dist/maplibre-gl.css" />
<script type='text/javascript'>var x = "https://not.fetched/";</script>
<link rel="stylesheet" href=https://cdn.jsdelivr.net/npm/@deck.gl/widgets@9/dist/stylesheet.css />
</head>"""


def test_strip_external_tags_keeps_inline_scripts():
    stripped = strip_external_tags(PYDECK_HEAD)
    assert external_tags(PYDECK_HEAD) and not external_tags(stripped)
    assert "var x" in stripped and "mapbox-gl.js" not in stripped and "stylesheet.css" not in stripped


def test_export_has_no_tag_that_fetches_from_the_internet(demo_engine, tmp_path):
    path = export_html(demo_engine, tmp_path / "city.html", ["buildings", "luminaires", "water_pipes"])
    html = path.read_text(encoding="utf-8")
    assert external_tags(html) == []
    assert '"@@type": "PolygonLayer"' in html and '"@@type": "ScatterplotLayer"' in html
    assert not list(tmp_path.glob(".*partial"))


def test_export_refuses_a_file_that_is_not_html(demo_engine, tmp_path):
    with pytest.raises(InvalidInput, match="html"):
        export_html(demo_engine, tmp_path / "city.png")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_exported_map_draws_offline_in_chromium(demo_database_url, tmp_path, browser):
    """The CLI's file opens in Chromium, draws the city and asks nothing of any other host."""
    path = tmp_path / "city.html"
    result = run_twin("export-html", str(path), env={"TWIN_DATABASE_URL": demo_database_url})
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 900, "height": 600})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("canvas")
    page.wait_for_timeout(3000)
    shot = page.screenshot()
    keep_shot(shot, tmp_path, "export_html.png")
    page.close()
    assert image_variance(shot) > 100, "the exported map is blank"
    assert [u for u in requests if leaves_localhost(u)] == []


def _pipes() -> gpd.GeoDataFrame:
    lines = [LineString([(106.19, lat), (106.191, lat)]) for lat in (21.27, 21.271)]
    return gpd.GeoDataFrame({"depth_m": [1.5, None]}, geometry=lines, crs=4326, index=["WP-1", "WP-2"])


def test_pipes_lie_at_their_depth_only_in_the_underground_view():
    spec = LAYERS["water_pipes"]
    flat = deck_layers(_pipes(), spec)[0].data
    below = deck_layers(_pipes(), spec, underground=True, exaggeration=2.0)[0].data
    assert [row["path"][0][2] for row in flat] == [0.0, 0.0]
    assert [row["path"][0][2] for row in below] == [-3.0, 0.0]  # unknown depth: on the ground


def test_trees_are_discs_of_their_crown_and_cameras_have_cones():
    trees = gpd.GeoDataFrame({"height_m": [9.0], "crown_diameter_m": [6.0]},
                             geometry=[Point(106.19, 21.27)], crs=4326, index=["TRE-1"])
    (layer,) = deck_layers(trees, LAYERS["trees"])
    ring = np.array(layer.data[0]["polygon"])
    metres = (ring[:, 1] - 21.27) * METRES_PER_DEGREE
    assert layer.type == "PolygonLayer" and layer.data[0]["height"] == 9.0
    assert metres.max() == pytest.approx(3.0)
    cameras = gpd.GeoDataFrame({"heading_deg": [90.0], "fov_deg": [60.0], "range_m": [50.0]},
                               geometry=[Point(106.19, 21.27)], crs=4326, index=["CAM-1"])
    cone, camera = deck_layers(cameras, LAYERS["cameras"])
    assert cone.type == "PolygonLayer" and camera.type == "ScatterplotLayer"
    east = max(x for x, _ in cone.data[0]["polygon"])
    assert (east - 106.19) * METRES_PER_DEGREE * np.cos(np.radians(21.27)) == pytest.approx(50.0)


def test_a_layer_in_metres_is_refused():
    with pytest.raises(InvalidInput, match="EPSG:4326"):
        deck_layers(_pipes().to_crs(9214), LAYERS["water_pipes"])
