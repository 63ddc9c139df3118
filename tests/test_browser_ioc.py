"""Raising an incident by hand in the operations centre, in a real headless Chromium over a running
server on the small demo city: an operator clicks a building on the map, adds it to the "Raise an
incident" form with the keyboard, raises the incident and sees it in the list; a viewer watching
the same centre has no form, and the new incident reaches their list and map through the live
stream, without a reload; an unknown asset gets the server's one-line refusal under the form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from shapely.geometry import Point, shape

from tests.browser_support import (
    DIST,
    VIEWPORT,
    assert_stayed_local,
    keep_shot,
    log_in,
    map_centre,
    map_shot,
    picture_change,
    settle,
    wait_until,
)

LEFT_OF_IOC = {"x": 20, "y": 50, "width": 640, "height": 600}
"""The map left of the operations centre's panel."""


@pytest.fixture(scope="module")
def open_as(browser, live_server: str, live_server_users
            ) -> Iterator[tuple[Callable[[str], Any], list[str]]]:
    """Opens the map as the live server's user of a role, logged in through the form, in the
    operations centre; with every URL the pages asked for. The pages close with the module."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST}): run "
                    "'npm ci --prefix web/app && npm run build --prefix web/app'")
    contexts = []
    requests: list[str] = []

    def opened(role: str) -> Any:
        user = live_server_users[role]
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        contexts.append(context)
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.goto(f"{live_server}/", wait_until="load")
        page.locator("#login-name").wait_for(timeout=30_000)
        log_in(page, user.name, user.password)
        wait_until(page, "n => window.twin.user?.name === n", arg=user.name)
        settle(page)
        page.locator("#view-ioc").click()
        return page

    yield opened, requests
    for context in contexts:
        context.close()


def a_large_building(http: httpx.Client) -> tuple[str, Any]:
    """The largest of the first 100 buildings: its id and footprint (EPSG:4326)."""
    answer = http.get("/collections/buildings/items", params={"limit": 100},
                      headers={"Accept": "application/geo+json"})
    answer.raise_for_status()
    found = max(answer.json()["features"], key=lambda f: shape(f["geometry"]).area)
    return found["id"], shape(found["geometry"])


def look_down_at(page, where: Point) -> None:  # type: ignore[no-untyped-def]
    """Only the buildings, seen from straight above at street zoom, centred on ``where``."""
    page.evaluate("""([lon, lat]) => {
        for (const l of window.twin.layers)
            if (!l.style.base_map) window.twin.setVisible(l.name, l.name === "buildings");
        window.twin.map.jumpTo({center: [lon, lat], zoom: 18.5, pitch: 0, bearing: 0});
    }""", [where.x, where.y])
    settle(page)


@pytest.mark.slow
def test_an_operator_raises_an_incident_a_viewer_sees_it_come(open_as, live_server_http,
                                                              tmp_path):
    opened, requests = open_as
    building, footprint = a_large_building(live_server_http)
    inside = footprint.representative_point()
    viewer = opened("viewer")
    assert viewer.locator("#incident-list").is_visible()
    assert not viewer.locator("#raise").is_visible(), "a viewer is offered the form"
    look_down_at(viewer, inside)
    before = map_shot(viewer, LEFT_OF_IOC)

    operator = opened("operator")
    look_down_at(operator, inside)
    operator.mouse.click(*map_centre())  # the building's panel opens
    wait_until(operator, "id => document.getElementById('asset').dataset.assetId === id",
               arg=building)
    operator.locator("#raise summary").focus()
    operator.keyboard.press("Enter")  # opens the form
    operator.locator("#raise-kind").fill("fire")
    operator.locator("#raise-add").focus()
    operator.keyboard.press("Enter")  # adds the open asset
    assert operator.locator("#raise-assets").input_value() == building
    operator.locator("#raise-note").fill("caller: smoke from the roof")
    operator.locator("#raise-text").fill("smoke from a roof")
    keep_shot(operator.screenshot(), tmp_path, "ioc_raise_form.png")
    operator.locator("#raise-text").press("Enter")  # sends the form

    item = operator.locator("#incident-list li", has_text="smoke from a roof")
    item.wait_for(timeout=10_000)
    assert "test-operator" in item.inner_text() and building in item.inner_text()
    assert operator.locator("#raise-kind").input_value() == ""  # ready for the next call
    [raised] = [i for i in live_server_http.get("/api/incidents").json()["incidents"]
                if i["title"] == "smoke from a roof"]
    assert (raised["kind"], raised["raised_by"], raised["asset_ids"]) == ("fire", "hand",
                                                                           [building])
    assert raised["details"]["reported_by"] == "test-operator"
    assert footprint.contains(Point(raised["position"])), "not placed at the building"

    seen = viewer.locator(f'#incident-list li[data-id="{raised["id"]}"]')
    seen.wait_for(timeout=10_000)  # brought by the live stream
    settle(viewer)
    after = map_shot(viewer, LEFT_OF_IOC)
    keep_shot(viewer.screenshot(), tmp_path, "ioc_raised_by_hand.png")
    assert "smoke from a roof" in seen.inner_text()
    assert picture_change(before, after) > 0.003, "the incident is not on the viewer's map"

    assert operator.locator("#raise-form").is_visible()  # open for the next call
    operator.locator("#raise-kind").fill("fire")
    operator.locator("#raise-assets").fill("BLD-999999")
    operator.locator("#raise-submit").click()
    refusal = operator.locator("#raise-error")
    refusal.wait_for(timeout=10_000)
    assert "no asset BLD-999999" in refusal.inner_text()
    assert_stayed_local(requests)
