"""The 3D map in a real headless Chromium (Debian's, driven by Playwright) over a running server
on the small demo city, logged in as an admin: it draws, layers toggle, a click opens an asset's
panel, and nothing is asked of any host but this one."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ingest.live.mqtt import MqttIngester, connect_client
from tests.browser_support import (
    DIST,
    VIEWPORT,
    assert_stayed_local,
    centre_colour,
    image_variance,
    keep_shot,
    map_centre,
    map_shot,
    picture_change,
    settle,
    wait_until,
)
from twin.database import create_engine


@pytest.fixture(scope="module")
def map_page(browser, live_server: str, logged_in_state) -> Iterator[tuple[object, list[str]]]:
    """The map, opened once for the module by a logged-in admin, and every URL it has
    requested."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST}): run "
                    "'npm ci --prefix web/app && npm run build --prefix web/app'")
    context = browser.new_context(viewport=VIEWPORT, storage_state=logged_in_state)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server}/", wait_until="load")
    settle(page)
    yield page, requests
    context.close()


@pytest.mark.slow
def test_map_draws_the_city_and_asks_only_this_machine(map_page, tmp_path):
    page, requests = map_page
    shot = map_shot(page)
    keep_shot(shot, tmp_path, "map.png")
    assert image_variance(shot) > 100, "the map is blank"
    assert any("/tiles/WebMercatorQuad/" in u for u in requests), "no vector tile was asked for"
    assert_stayed_local(requests)


@pytest.mark.slow
def test_toggling_a_layer_changes_the_picture(map_page, tmp_path):
    page, requests = map_page
    before = map_shot(page)
    page.locator('#layer-list input[data-layer="buildings"]').uncheck()
    settle(page)
    after = map_shot(page)
    keep_shot(after, tmp_path, "map_without_buildings.png")
    page.locator('#layer-list input[data-layer="buildings"]').check()
    settle(page)
    assert picture_change(before, after) > 0.02, "hiding buildings left the picture as it was"
    assert_stayed_local(requests)


def first_feature(http: httpx.Client, layer: str) -> dict:
    answer = http.get(f"/collections/{layer}/items", params={"limit": 1},
                      headers={"Accept": "application/geo+json"})
    answer.raise_for_status()
    return answer.json()["features"][0]


def look_down_at(page, lon: float, lat: float, only: str, zoom: float = 19) -> None:
    """Show ``only`` this layer, straight from above, centred on lon/lat."""
    page.evaluate("""([lon, lat, only, zoom]) => {
        for (const l of window.twin.layers) window.twin.setVisible(l.name, l.name === only);
        window.twin.map.jumpTo({center: [lon, lat], zoom, pitch: 0, bearing: 0});
    }""", [lon, lat, only, zoom])
    settle(page)


@pytest.mark.slow
def test_clicking_an_asset_opens_its_panel(map_page, live_server_http, tmp_path):
    page, requests = map_page
    tree = first_feature(live_server_http, "trees")
    look_down_at(page, *tree["geometry"]["coordinates"][:2], only="trees")
    page.mouse.click(*map_centre())
    page.wait_for_selector("#asset:not(.hidden)")
    wait_until(page, "id => document.querySelector('#asset h3').textContent.includes(id)",
                     arg=tree["id"])
    keep_shot(page.screenshot(), tmp_path, "asset_panel.png")
    assert tree["id"] in page.locator("#asset h3").inner_text()
    page.locator("#asset-close").click()
    assert_stayed_local(requests)


@pytest.mark.slow
def test_a_lamp_switched_off_through_the_broker_darkens_on_the_map(
        map_page, live_server_http, live_server_database_url, mqtt_broker, tmp_path):
    """A state message published to MQTT reaches the twin (the live ingester), the server's event
    stream and the map's colours within 2 s, without a reload."""
    page, requests = map_page
    lamp = first_feature(live_server_http, "luminaires")
    look_down_at(page, *lamp["geometry"]["coordinates"][:2], only="luminaires", zoom=20)
    lit = centre_colour(page)
    engine = create_engine(live_server_database_url)
    ingester = MqttIngester(engine, mqtt_broker.url, client_id="browser-test-ingester")
    thread = threading.Thread(target=ingester.run, daemon=True)
    thread.start()
    try:
        assert ingester.ready.wait(10), "the ingester did not subscribe"
        publisher = connect_client(mqtt_broker, "browser-test-publisher", persistent=False)
        sent = datetime.now(UTC).isoformat()
        publisher.publish(f"twin/devices/{lamp['id']}/state",
                          json.dumps({"state": "off", "time": sent}), qos=1).wait_for_publish(5)
        wait_until(page, "id => window.twin.view.live.get(id)?.state === 'off'",
                         arg=lamp["id"], timeout=2000)
        page.wait_for_timeout(300)  # the map redraws within 100 ms of a change
        dark = centre_colour(page)
        keep_shot(page.screenshot(), tmp_path, "lamp_off.png")
        publisher.disconnect()
    finally:
        ingester.stop.set()
        thread.join(10)
        engine.dispose()
    assert lit.sum() - dark.sum() > 150, f"the lamp stayed {dark} (was {lit})"
    assert_stayed_local(requests)


@pytest.mark.slow
def test_what_if_this_fails_highlights_what_goes_down(map_page, live_server_http, tmp_path):
    page, requests = map_page
    transformer = first_feature(live_server_http, "transformers")
    lon, lat = transformer["geometry"]["coordinates"][:2]
    look_down_at(page, lon, lat, only="transformers")
    page.mouse.click(*map_centre())
    wait_until(page, "id => document.querySelector('#asset h3')?.textContent.includes(id)",
                     arg=transformer["id"])
    page.evaluate("([lon, lat]) => window.twin.map.jumpTo({center: [lon, lat], zoom: 16.5})",
                  [lon, lat])
    settle(page)
    before = map_shot(page)
    page.locator("#what-if").click()
    page.wait_for_selector("#outage-summary", timeout=30_000)
    settle(page)
    after = map_shot(page)
    keep_shot(page.screenshot(), tmp_path, "what_if.png")
    affected = page.evaluate("window.twin.view.outage.roles.size")
    page.locator("#asset-close").click()
    assert affected > 1, "the outage highlighted nothing but the failed asset"
    assert picture_change(before, after) > 0.002, "the highlight did not change the picture"
    assert_stayed_local(requests)
