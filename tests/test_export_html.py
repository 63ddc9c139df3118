"""``twin export-html``: a standalone pydeck map of the twin that opens with no network."""

import pytest

from tests.browser_support import browser, image_variance, keep_shot, leaves_localhost  # noqa: F401
from tests.conftest import run_twin
from twin.errors import InvalidInput
from web.export_html import export_html, external_tags, strip_external_tags

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
def test_exported_map_draws_offline_in_chromium(demo_database_url, tmp_path, browser):  # noqa: F811
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
