"""The map's views in a real headless Chromium (Debian's, driven by Playwright) over a running
server on the small demo city, driven as a user drives them: the underground mode and its depth
slider, the operations centre (incidents on the map and in the list, acknowledge and resolve, KPI
tiles), the time slider, the English/Vietnamese toggle, the lighting coverage before and after a
lamp fails, a camera's panel and field of view, street and ward names, and layers fetched only
from their first zoom. The page asks nothing of any other host."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import numpy as np
import pytest
import sqlalchemy as sa

from tests.browser_support import (
    DIST,
    MAP_AREA,
    VIEWPORT,
    assert_stayed_local,
    centre_colour,
    keep_shot,
    map_centre,
    map_shot,
    picture_change,
    pixels,
    settle,
    wait_until,
)
from twin.database import create_engine

LEFT_OF_IOC = {"x": 20, "y": 50, "width": 640, "height": 600}
"""The map left of the operations centre's panel (the layer panel is hidden in that view)."""
EARTH_CIRCUMFERENCE_M = 40075016.686
CONE_PIXELS = 200
"""How far a camera's field of view reaches on screen in its test (px)."""


@pytest.fixture(scope="module")
def opened_map(browser, live_server: str, logged_in_state) -> Iterator[tuple[Any, list[str]]]:
    """The map, opened once for the module by a logged-in admin (numbers written en-GB), and
    every URL its browser profile has requested."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST}): run "
                    "'npm ci --prefix web/app && npm run build --prefix web/app'")
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", storage_state=logged_in_state)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(f"{live_server}/", wait_until="load")
    settle(page)
    yield page, requests
    context.close()


@pytest.fixture
def map_view(opened_map) -> Iterator[tuple[Any, list[str]]]:
    """The module's map; afterwards its language, view, modes, time, lighting and asset panel
    are put back as they opened, so no test sees another's (each test sets the layers and the
    camera it looks with)."""
    yield opened_map
    page = opened_map[0]
    if page.evaluate("document.documentElement.lang") != "en":
        page.locator("#lang").click()
    page.locator("#view-map").click()
    page.locator("#underground").uncheck()
    page.locator("#names").check()
    page.locator("#exaggeration").fill("5")
    if page.locator("#time").input_value() != "0":
        page.locator("#time").fill("0")
        wait_until(page, "window.twin.liveNow")
    page.locator("#lighting-clear").click()
    if page.locator("#asset-close").is_visible():
        page.locator("#asset-close").click()


def look_at(page, lon: float, lat: float, layers: list[str], zoom: float, pitch: float = 0,
            bearing: float = 0) -> None:
    """Show only ``layers`` over the base map, the camera centred on lon/lat."""
    page.evaluate("""([lon, lat, layers, zoom, pitch, bearing]) => {
        for (const l of window.twin.layers)
            if (!l.style.base_map) window.twin.setVisible(l.name, layers.includes(l.name));
        window.twin.map.jumpTo({center: [lon, lat], zoom, pitch, bearing});
    }""", [lon, lat, layers, zoom, pitch, bearing])
    settle(page)


def features(http: httpx.Client, layer: str) -> list[dict[str, Any]]:
    """The first 100 features of a layer (GeoJSON, EPSG:4326), by id."""
    answer = http.get(f"/collections/{layer}/items", params={"limit": 100},
                      headers={"Accept": "application/geo+json"})
    answer.raise_for_status()
    return answer.json()["features"]  # type: ignore[no-any-return]


def get(http: httpx.Client, path: str, **params: str) -> Any:
    """GET a path of the live server (``http`` carries the credentials: ``live_server_http``)."""
    answer = http.get(path, params=params)
    answer.raise_for_status()
    return answer.json()


def post(http: httpx.Client, path: str, document: dict[str, Any]) -> Any:
    """POST to the live server: the admin's client for the app API, the device's
    (``live_server_ingest``) for the live ingest."""
    answer = http.post(path, json=document)
    assert answer.status_code == 200, answer.text
    return answer.json()


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def lon_lat(feature: dict[str, Any]) -> tuple[float, float]:
    """A point's lon/lat, or a line's middle vertex."""
    geometry = feature["geometry"]
    coordinates = geometry["coordinates"]
    if geometry["type"] == "MultiLineString":
        coordinates = coordinates[0]
    if geometry["type"] in ("LineString", "MultiLineString"):
        coordinates = coordinates[len(coordinates) // 2]
    return coordinates[0], coordinates[1]


@pytest.mark.slow
def test_underground_mode_sinks_pipes_under_a_translucent_ground(map_view, live_server_http, tmp_path):
    page, requests = map_view
    pipe = max(features(live_server_http, "water_pipes"), key=lambda f: f["properties"]["depth_m"] or 0)
    look_at(page, *lon_lat(pipe), ["water_pipes", "buildings"], zoom=18, pitch=60)
    surface = map_shot(page)
    page.locator("#underground").check()
    settle(page)
    under = map_shot(page)
    page.locator("#exaggeration").fill("20")
    settle(page)
    deeper = map_shot(page)
    keep_shot(under, tmp_path, "underground.png")
    keep_shot(deeper, tmp_path, "underground_x20.png")
    drawn = page.evaluate("window.twin.drawn.map((l) => l.id)")
    assert "ground" in drawn, f"no translucent ground among the layers drawn: {drawn}"
    assert picture_change(surface, under) > 0.05, "the underground mode left the picture as it was"
    assert picture_change(under, deeper) > 0.005, "a 20× depth did not move the pipes"
    assert_stayed_local(requests)


def js_number(value: float) -> str:
    """A number as the page writes it without formatting (100.0 as 100)."""
    return str(int(value)) if float(value).is_integer() else str(value)


def assert_tiles_show(page, kpis: dict[str, Any]) -> None:
    """The KPI tiles show these figures of ``/api/kpis`` (once the open incidents agree), read in
    the same moment as that agreement: a refresh may replace the tiles between two reads."""
    tiles = wait_until(page, "n => { const tiles = [...document.querySelectorAll('#kpis .tile')]"
                             ".map((t) => t.innerText); "
                             "return tiles.includes(`${n}\\nOpen incidents`) && tiles; }",
                       arg=kpis["open_incidents"], timeout=5000)
    assert f"{kpis['households_with_fibre']:,}\nHouseholds with fibre" in tiles
    for title, figures in (("Street lamps", kpis["lamps"]), ("Cameras", kpis["cameras"])):
        [tile] = [t for t in tiles if t.startswith(title)]
        for key, value in figures.items():
            label = "uptime %" if key == "uptime_percent" else key
            assert f"{label} {js_number(value)}" in tile.splitlines(), (title, key, tile)


@pytest.mark.slow
def test_operations_centre_lists_acknowledges_and_resolves_an_incident(
        map_view, live_server_http, live_server_ingest, live_server_users, tmp_path):
    """A camera's incident raised through the HTTP ingest appears on the map and in the list
    without a reload; acknowledge and resolve reach the database in the signed-in user's name;
    the KPI tiles show ``/api/kpis``."""
    page, requests = map_view
    camera = features(live_server_http, "cameras")[1]
    lon, lat = lon_lat(camera)
    page.locator("#view-ioc").click()
    look_at(page, lon, lat, ["buildings"], zoom=18)
    empty = map_shot(page, LEFT_OF_IOC)

    post(live_server_ingest, f"/api/live/cameras/{camera['id']}/events", {
        "event": "incident", "time": iso(datetime.now(UTC)),
        "incident": {"type": "flooding", "confidence": 0.9, "position": [lon, lat]}})
    [incident] = get(live_server_http, "/api/incidents", status="open")["incidents"]
    item = page.locator(f'#incident-list li[data-id="{incident["id"]}"]')
    item.wait_for(timeout=5000)  # brought by the event stream
    settle(page)
    marked = map_shot(page, LEFT_OF_IOC)
    keep_shot(page.screenshot(), tmp_path, "ioc_incident.png")
    assert f"flooding seen by {camera['id']}" in item.inner_text()
    assert "open" in item.inner_text()
    assert picture_change(empty, marked) > 0.003, "the incident is not on the map"

    assert_tiles_show(page, get(live_server_http, "/api/kpis"))

    item.locator('button[data-act="acknowledge"]').click()
    wait_until(page, "id => document.querySelector(`#incident-list li[data-id=\"${id}\"]`)"
                     "?.innerText.includes('acknowledged')", arg=incident["id"], timeout=5000)
    [acknowledged] = get(live_server_http, "/api/incidents", status="acknowledged")["incidents"]
    assert (acknowledged["id"], acknowledged["acknowledged_by"]) == (incident["id"],
                                                                     live_server_users["admin"].name)

    item.locator('button[data-act="resolve"]').click()
    item.wait_for(state="detached", timeout=5000)
    assert [i["id"] for i in get(live_server_http, "/api/incidents", status="resolved")["incidents"]] \
        == [incident["id"]]
    resolved = get(live_server_http, "/api/kpis")
    assert resolved["open_incidents"] == 0
    assert_tiles_show(page, resolved)
    settle(page)
    assert picture_change(empty, map_shot(page, LEFT_OF_IOC)) < 0.001, "the incident stayed on the map"
    assert_stayed_local(requests)


def live_values(page) -> dict[str, dict[str, Any]]:
    """What the map colours by: each asset's values (property -> value)."""
    return dict(page.evaluate("[...window.twin.view.live].map(([id, e]) => [id, e.values])"))


def api_values(http: httpx.Client, at: str) -> dict[str, dict[str, Any]]:
    """The same, as ``/api/state?at=`` gives it."""
    values: dict[str, dict[str, Any]] = {}
    for row in get(http, "/api/state", at=at)["observations"]:
        values.setdefault(row["asset_id"], {})[row["property"]] = row["value"]
    return values


@pytest.mark.slow
def test_time_slider_shows_the_city_as_it_was(map_view, live_server_http, live_server_ingest,
                                              tmp_path):
    """A lamp switched on an hour and a half ago and off now is lit at "an hour ago", where
    every asset has the values ``/api/state?at=`` gives for that time; back at "now" it is dark."""
    page, requests = map_view
    lamp = features(live_server_http, "luminaires")[10]
    now = datetime.now(UTC)
    for state, at in (("on", now - timedelta(minutes=90)), ("off", now)):
        post(live_server_ingest, f"/api/live/devices/{lamp['id']}/state", {"state": state, "time": iso(at)})
    look_at(page, *lon_lat(lamp), ["luminaires"], zoom=20)
    wait_until(page, "id => window.twin.view.live.get(id)?.state === 'off'", arg=lamp["id"])
    page.wait_for_timeout(300)  # the map redraws within 100 ms of a change
    dark_now = centre_colour(page)

    with page.expect_response(lambda r: "/api/state?at=" in r.url, timeout=10_000) as asked:
        page.locator("#time").fill("-60")
    at = parse_qs(urlparse(asked.value.url).query)["at"][0]
    wait_until(page, "id => window.twin.view.live.get(id)?.state === 'on'", arg=lamp["id"])
    page.wait_for_timeout(300)
    lit_then = centre_colour(page)
    keep_shot(page.screenshot(), tmp_path, "time_an_hour_ago.png")
    assert abs(datetime.fromisoformat(at) - (now - timedelta(hours=1))) < timedelta(minutes=1)
    assert page.locator("#status").inner_text().startswith("State at")
    assert page.locator("#time-label").inner_text() != "now"
    then = api_values(live_server_http, at)
    assert then[lamp["id"]]["state"] == "on"
    assert live_values(page) == then
    assert lit_then.sum() - dark_now.sum() > 150, f"an hour ago the lamp is {lit_then}, now {dark_now}"

    page.locator("#time").fill("0")
    wait_until(page, "id => window.twin.liveNow && "
                     "window.twin.view.live.get(id)?.state === 'off'", arg=lamp["id"])
    page.wait_for_timeout(300)
    assert page.locator("#time-label").inner_text() == "now"
    assert lit_then.sum() - centre_colour(page).sum() > 150, "back at now the lamp stayed lit"
    assert_stayed_local(requests)


ENGLISH = {"Urban Twin", "Map", "Operations centre", "Underground", "Depth ×", "Time", "now",
           "Layers", "Lighting coverage", "Compute for this view", "What if these lamps go dark?",
           "Before", "After", "Clear", "Ready", "Ready (live)"}
VIETNAMESE = {"Bản sao số đô thị", "Bản đồ", "Trung tâm điều hành", "Ngầm", "Độ sâu ×",
              "Thời gian", "hiện tại", "Lớp dữ liệu", "Độ phủ chiếu sáng",
              "Tính cho khung nhìn này", "Trước", "Sau", "Xóa", "Cây xanh", "Đèn chiếu sáng",
              "Ống cấp nước"}
"""Words of the bar and the layer panel in each language (and the status line in English)."""


def words_on_show(page) -> set[str]:
    """The text of every visible label, button and heading, and of the status line."""
    return set(page.evaluate("""() => [...document.querySelectorAll(
        '[data-i18n], #time-label, #status, #layer-list label, #kpis .tile, #incident-list li')]
        .filter((e) => e.offsetParent !== null).map((e) => e.innerText.trim())"""))


@pytest.mark.slow
def test_language_toggle_speaks_vietnamese_and_remembers_it(map_view, live_server_http, tmp_path):
    page, requests = map_view
    titles = {layer["title"] for layer in get(live_server_http, "/api/styles")["layers"]}
    assert {"Layers", "Map", "Trees"} <= words_on_show(page)

    page.locator("#lang").click()
    wait_until(page, "document.documentElement.lang === 'vi'")
    shown = words_on_show(page)
    keep_shot(page.screenshot(), tmp_path, "vietnamese.png")
    assert VIETNAMESE <= shown
    assert shown & (ENGLISH | titles) == set(), "English left after the toggle"
    assert page.locator("#status").inner_text().startswith("Sẵn sàng")
    assert page.locator("#lang").inner_text() == "EN"

    page.locator("#view-ioc").click()
    wait_until(page, "document.querySelector('#kpis').innerText.includes('Đèn đường')")
    tiles = " ".join(page.locator("#kpis .tile").all_inner_texts())
    assert "Sự cố đang mở" in tiles
    assert "Street lamps" not in tiles and "Open incidents" not in tiles
    page.locator("#view-map").click()

    second = page.context.new_page()  # same browser profile: the choice is remembered
    second.goto(page.url, wait_until="load")
    wait_until(second, "document.querySelector('#layer-list label')")
    remembered = (second.evaluate("document.documentElement.lang"), words_on_show(second))
    second.close()
    assert remembered[0] == "vi" and {"Lớp dữ liệu", "Cây xanh"} <= remembered[1]

    page.locator("#lang").click()
    wait_until(page, "document.documentElement.lang === 'en'")
    back = words_on_show(page)
    assert {"Layers", "Map", "Underground", "Trees"} <= back and not VIETNAMESE & back
    assert page.locator("#status").inner_text().startswith("Ready")
    assert_stayed_local(requests)


def lighting_summary(page) -> tuple[str, int, float]:
    """The lighting summary: (Before or After, roads computed, average lux)."""
    text = page.locator("#lighting-summary").inner_text()
    found = re.match(r"(Before|After): (\d+) roads computed, ([\d.]+) average lux", text)
    assert found, f"unexpected lighting summary {text!r}"
    return found[1], int(found[2]), float(found[3])


def mean_lux(result: dict[str, Any], column: str = "eav") -> float:
    """The roads' mean of a lux column of a lighting answer (lx)."""
    return sum(road[column] or 0 for road in result["roads"]) / len(result["roads"])


def summary_of(result: dict[str, Any], show: str, column: str = "eav") -> tuple[str, int, Any]:
    """What the summary should say of a lighting answer: (Before or After, roads, their mean
    lux of ``column`` to the summary's 0.1 lx)."""
    return show, len(result["roads"]), pytest.approx(mean_lux(result, column), abs=0.051)


@pytest.mark.slow
def test_lighting_coverage_before_and_after_a_lamp_fails(map_view, live_server_http, tmp_path):
    """The roads' lighting for the view on the map, then the what-if of the selected lamp
    going dark, shown after and before; the summary gives the server's figures."""
    page, requests = map_view
    lamp = features(live_server_http, "luminaires")[20]
    look_at(page, *lon_lat(lamp), ["luminaires"], zoom=20)
    page.mouse.click(*map_centre())
    wait_until(page, "id => document.querySelector('#asset h3')?.textContent.includes(id)",
                     arg=lamp["id"])
    page.evaluate("z => window.twin.map.setZoom(z)", 18)
    settle(page)
    unlit = map_shot(page)

    with page.expect_response("**/api/simulate/lighting") as answer:
        page.locator("#lighting-run").click()
    wait_until(page, "document.querySelector('#lighting-summary').innerText.startsWith('Before')")
    settle(page)
    coverage = map_shot(page)
    now = answer.value.json()["result"]
    assert lighting_summary(page) == summary_of(now, "Before")
    assert picture_change(unlit, coverage) > 0.01, "the coverage is not on the map"

    with page.expect_response("**/api/simulate/lighting") as answer:
        page.locator("#lighting-whatif").click()
    assert answer.value.request.post_data_json["fail"] == [lamp["id"]]
    wait_until(page, "document.querySelector('#lighting-summary').innerText.startsWith('After')")
    settle(page)
    after = map_shot(page)
    keep_shot(page.screenshot(), tmp_path, "lighting_after.png")
    what_if = answer.value.json()["result"]
    assert lighting_summary(page) == summary_of(what_if, "After")
    assert f"{what_if['dark_spots']} dark spots" in page.locator("#lighting-summary").inner_text()

    page.locator('input[name="lighting-show"][value="before"]').check()
    settle(page)
    before = map_shot(page)
    keep_shot(page.screenshot(), tmp_path, "lighting_before.png")
    assert lighting_summary(page) == summary_of(what_if, "Before", "eav_before")
    assert mean_lux(what_if, "eav_before") > mean_lux(what_if), "the lamp's failure darkened nothing"
    assert picture_change(before, after) > 0.002, "before and after look the same"

    page.locator("#lighting-clear").click()
    settle(page)
    assert page.locator("#lighting-summary").inner_text() == ""
    assert picture_change(unlit, map_shot(page)) < 0.001, "the coverage stayed on the map"
    assert_stayed_local(requests)


def lone_camera(database_url: str, stream_url: str) -> dict[str, Any]:
    """A camera whose field of view no other camera's reaches, given a stream link: its id,
    lon, lat, heading_deg (clockwise from north) and range_m."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        camera = conn.execute(sa.text("""
            SELECT c.id, ST_X(c.geom) AS lon, ST_Y(c.geom) AS lat, c.heading_deg, c.range_m
            FROM cameras c WHERE NOT EXISTS (
                SELECT 1 FROM cameras o WHERE o.id <> c.id
                AND ST_DWithin(o.geom::geography, c.geom::geography, c.range_m + o.range_m))
            ORDER BY c.id LIMIT 1""")).mappings().one()
        conn.execute(sa.text("UPDATE cameras SET stream_url = :url WHERE id = :id"),
                     {"url": stream_url, "id": camera["id"]})
    engine.dispose()
    return dict(camera)


def zoom_for(metres: float, on_screen_px: float, latitude: float) -> float:
    """The web-mercator zoom (512-pixel tiles) at which ``metres`` take ``on_screen_px``."""
    return math.log2(EARTH_CIRCUMFERENCE_M * math.cos(math.radians(latitude)) * on_screen_px
                     / (512 * metres))


def cone_direction(with_cones: bytes, without: bytes) -> tuple[float, float]:
    """Where the camera layer draws around the map's centre: (share of the disc of radius
    CONE_PIXELS covered, direction of its centroid in degrees clockwise from up)."""
    x, y = map_centre()
    x, y = x - MAP_AREA["x"], y - MAP_AREA["y"]
    down, across = np.indices(pixels(with_cones).shape[:2])
    near = np.hypot(across - x, down - y) < CONE_PIXELS * 1.1
    drawn = (np.abs(pixels(with_cones) - pixels(without)).sum(axis=2) > 20) & near
    rows, columns = np.nonzero(drawn)
    direction = math.degrees(math.atan2(columns.mean() - x, y - rows.mean())) % 360
    return drawn.sum() / near.sum(), direction


def camera_section(page, camera_id: str) -> dict[str, str]:
    """The camera section of the asset panel (once it shows ``camera_id``): its heading, rows
    and stream link."""
    wait_until(page, "id => document.querySelector('#asset h3')?.textContent.includes(id) "
                     "&& document.querySelector('#asset h4')", arg=camera_id)
    return page.evaluate("""() => {
        const cells = [...document.querySelector('#asset h4 + table').rows].map((r) => r.cells);
        const link = document.getElementById('camera-stream');
        return {...Object.fromEntries(cells.map(([k, v]) => [k.innerText, v.innerText])),
                heading: document.querySelector('#asset h4').innerText,
                stream: link?.getAttribute('href'), link_text: link?.innerText};
    }""")


@pytest.mark.slow
def test_camera_panel_and_field_of_view(map_view, live_server_http, live_server_ingest,
                                        live_server_database_url, tmp_path):
    """The camera's cone points where the camera looks; its panel names its status (online,
    then offline), its latest snapshot (from its incident) and its stream link."""
    page, requests = map_view
    stream = "rtsp://127.0.0.1:8554/cameras/lone"
    camera = lone_camera(live_server_database_url, stream)
    cam = camera["id"]
    look_at(page, camera["lon"], camera["lat"], ["cameras"],
            zoom=zoom_for(camera["range_m"], CONE_PIXELS, camera["lat"]))
    with_cones = map_shot(page)
    page.locator('#layer-list input[data-layer="cameras"]').uncheck()
    settle(page)
    without = map_shot(page)
    page.locator('#layer-list input[data-layer="cameras"]').check()
    settle(page)
    keep_shot(with_cones, tmp_path, "camera_cone.png")
    covered, direction = cone_direction(with_cones, without)
    off = abs((direction - camera["heading_deg"] + 180) % 360 - 180)
    assert covered > 0.05, "no field of view drawn"
    assert off < 15, f"the cone looks to {direction:.0f}°, the camera to {camera['heading_deg']:.0f}°"

    post(live_server_ingest, f"/api/live/cameras/{cam}/events",
         {"event": "online", "time": iso(datetime.now(UTC))})
    wait_until(page, "id => window.twin.view.live.get(id)?.state === 'online'", arg=cam)
    page.mouse.click(*map_centre())
    online = camera_section(page, cam)
    assert (online["heading"], online["Status"], online["Latest snapshot"]) == ("Camera", "online", "—")
    assert (online["stream"], online["link_text"]) == (stream, stream)
    page.locator("#asset-close").click()

    snapshot = f"snapshots/{cam}/fire.jpg"
    later = datetime.now(UTC)
    post(live_server_ingest, f"/api/live/cameras/{cam}/events", {"event": "offline", "time": iso(later)})
    post(live_server_ingest, f"/api/live/cameras/{cam}/events", {
        "event": "incident", "time": iso(later),
        "incident": {"type": "fire", "confidence": 0.8, "snapshot": snapshot}})
    wait_until(page, "id => window.twin.view.live.get(id)?.state === 'offline'", arg=cam)
    page.mouse.click(*map_centre())
    offline = camera_section(page, cam)
    keep_shot(page.screenshot(), tmp_path, "camera_panel.png")
    assert (offline["Status"], offline["Latest snapshot"]) == ("offline", snapshot)
    for incident in get(live_server_http, "/api/incidents", asset=cam, status="open")["incidents"]:
        post(live_server_http, f"/api/incidents/{incident['id']}/resolve", {"who": "test"})
    assert_stayed_local(requests)


@pytest.mark.slow
def test_street_and_ward_names_show_and_hide(map_view, live_server_http, tmp_path):
    page, requests = map_view
    road = next(f for f in features(live_server_http, "roads") if f["properties"]["name"])
    look_at(page, *lon_lat(road), layers=[], zoom=17.5)  # the base map and the names alone
    streets = map_shot(page)
    page.locator("#names").uncheck()
    settle(page)
    unnamed = map_shot(page)
    keep_shot(streets, tmp_path, "names_streets.png")
    assert picture_change(streets, unnamed) > 0.002, "no street name was drawn"
    page.locator("#names").check()
    look_at(page, *lon_lat(road), layers=[], zoom=13)
    wards = map_shot(page)
    page.locator("#names").uncheck()
    settle(page)
    keep_shot(wards, tmp_path, "names_wards.png")
    assert picture_change(wards, map_shot(page)) > 0.002, "no ward name was drawn"
    assert_stayed_local(requests)


@pytest.mark.slow
def test_a_layer_is_fetched_only_from_its_first_zoom(map_view, live_server_http, tmp_path):
    """Zoomed out to the whole city, the map asks no street-level tiles of the layers drawn
    from zoom 15 on (trees, luminaires): each would be thousands of tiles over the city."""
    page, requests = map_view
    road = next(f for f in features(live_server_http, "roads") if f["properties"]["name"])
    look_at(page, *lon_lat(road), layers=["trees", "luminaires", "substations"], zoom=16)
    asked_before = len(requests)
    look_at(page, *lon_lat(road), layers=["trees", "luminaires", "substations"], zoom=12.5)
    keep_shot(page.screenshot(), tmp_path, "city_zoom.png")
    asked = [u for u in requests[asked_before:] if "/tiles/" in u]
    assert [u for u in asked if "/trees/" in u or "/luminaires/" in u] == []
    assert any("/substations/" in u for u in asked), "substations are drawn from zoom 12"
    assert_stayed_local(requests)
