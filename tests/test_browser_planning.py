"""The planning view in a real headless Chromium (Debian's, driven by Playwright) over a running
server on the small demo city, logged in as a user would be: the wards' choropleth draws in the
colours of their values, choosing a ward (by clicking it on the map) shows its figures as
``/api/planning/summary`` gives them, the value under the pointer is the ward's, the report link
downloads the report, and the page asks nothing of any host but 127.0.0.1."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
import shapely
from shapely.geometry import shape

from tests.browser_support import (
    DIST,
    VIEWPORT,
    assert_stayed_local,
    keep_shot,
    picture_change,
    pixels,
    settle,
    wait_until,
)

METRIC = "count:luminaires"
LEFT_OF_PANEL = {"x": 10, "y": 50, "width": 560, "height": 600}
"""The map left of the planning panel."""


@pytest.fixture(scope="module")
def planning_page(browser, live_server: str, logged_in_state) -> Iterator[tuple[Any, list[str]]]:
    """The map opened by a logged-in admin (numbers written en-GB), switched to the planning
    view showing the wards by their number of street lamps; and every URL it asked for."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST}): run "
                    "'npm ci --prefix web/app && npm run build --prefix web/app'")
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", storage_state=logged_in_state,
                                  accept_downloads=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(f"{live_server}/", wait_until="load")
    settle(page)
    page.locator("#view-planning").click()
    page.locator("#planning-metric").select_option(METRIC)
    wait_until(page, """m => window.twin.planning.state.geojson?.properties?.metric === m
        && document.getElementById('planning-area')""", arg=METRIC)
    settle(page)
    yield page, requests
    context.close()


def screen_point(page, lon: float, lat: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    x, y = page.evaluate("([lon, lat]) => { const p = window.twin.map.project([lon, lat]);"
                         " return [p.x, p.y]; }", [lon, lat])
    return float(x), float(y)


def inside_points(choropleth: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """A point well inside each ward (lon/lat): the centre of its largest inscribed circle."""
    points = {}
    for feature in choropleth["features"]:
        centre = shapely.maximum_inscribed_circle(shape(feature["geometry"])).coords[0]
        points[feature["properties"]["code"]] = centre
    return points


def patch_colour(page, x: float, y: float, size: int = 15) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Median RGB of a square around (x, y): a road or a letter under a few pixels is ignored."""
    shot = page.screenshot(clip={"x": x - size / 2, "y": y - size / 2, "width": size, "height": size})
    return np.median(pixels(shot).reshape(-1, 3), axis=0)


@pytest.mark.slow
def test_the_choropleth_colours_each_ward_by_its_value(planning_page, live_server_http, tmp_path):
    page, requests = planning_page
    choropleth = live_server_http.get("/api/planning/choropleth", params={"metric": METRIC}).json()
    values = {f["properties"]["code"]: f["properties"]["value"] for f in choropleth["features"]}
    assert len(values) >= 2
    points = inside_points(choropleth)
    colours = {code: patch_colour(page, *screen_point(page, *points[code])) for code in values}
    drawn = page.screenshot(clip=LEFT_OF_PANEL)
    keep_shot(drawn, tmp_path, "planning-choropleth.png")
    low, high = min(values, key=values.get), max(values, key=values.get)  # type: ignore[arg-type]
    # The ramp runs from pale yellow (the lowest ward) to dark blue (the highest).
    assert colours[low].sum() - colours[high].sum() > 250, colours
    assert colours[low][2] < colours[low][0] and colours[high][2] > colours[high][0], colours
    ends = page.locator("#planning-legend .ends").inner_text().split()
    assert ends == [f"{values[low]:,.0f}", f"{values[high]:,.0f}"]
    page.locator("#view-map").click()  # the map view leaves the wards uncoloured
    settle(page)
    plain = page.screenshot(clip=LEFT_OF_PANEL)
    assert picture_change(drawn, plain) > 0.3
    assert page.locator("#planning").is_hidden() and page.locator("#layers").is_visible()
    page.locator("#view-planning").click()
    wait_until(page, "window.twin.planning.state.geojson && window.twin.isIdle()")
    settle(page)
    assert_stayed_local(requests)


@pytest.mark.slow
def test_choosing_a_ward_on_the_map_shows_its_figures_as_the_api_gives_them(
        planning_page, live_server_http, tmp_path):
    page, requests = planning_page
    choropleth = live_server_http.get("/api/planning/choropleth", params={"metric": METRIC}).json()
    feature = max(choropleth["features"], key=lambda f: f["properties"]["value"])
    code, name = feature["properties"]["code"], feature["properties"]["name"]
    x, y = screen_point(page, *inside_points(choropleth)[code])
    page.mouse.move(x, y)
    wait_until(page, "document.getElementById('planning-tip-value')?.offsetParent")
    assert page.locator("#planning-tip-value").inner_text() == f"{feature['properties']['value']:,.0f}"
    page.mouse.click(x, y)
    wait_until(page, "n => document.getElementById('planning-area')?.textContent === n", arg=name)
    assert page.locator("#planning-ward").input_value() == code
    keep_shot(page.screenshot(), tmp_path, "planning-ward.png")
    summary = live_server_http.get("/api/planning/summary", params={"ward": code}).json()

    def cells(table: str) -> dict[str, dict[str, str]]:
        return page.evaluate("""id => Object.fromEntries([...document.querySelectorAll(`#${id} tr[data-key]`)]
            .map((tr) => [tr.dataset.key, Object.fromEntries([...tr.querySelectorAll('td[data-col]')]
              .map((td) => [td.dataset.col, td.dataset.value]))]))""", table)

    inventory = cells("planning-inventory")
    listed = [r for r in summary["inventory"] if r["count"] > 0]
    assert set(inventory) == {r["layer"] for r in listed}
    for row in listed:
        shown = inventory[row["layer"]]
        assert int(shown["count"]) == row["count"] and int(shown["failed"]) == row["failed"]
        if row["length_m"] is not None:
            assert float(shown["length_m"]) == pytest.approx(row["length_m"])
    targets = cells("planning-targets")
    for row in summary["targets"]:
        assert float(targets[row["metric"]]["value"]) == pytest.approx(row["value"])
        assert float(targets[row["metric"]]["target"]) == pytest.approx(row["target"])
    energy = next(r for r in summary["energy"]["by_ward"] if r["area_code"] == code)
    assert float(cells("planning-energy")[code]["kwh"]) == pytest.approx(energy["kwh"])
    renewal = cells("planning-renewal")
    for year in {r["due_year"] for r in summary["renewal"]}:
        cost = sum(r["cost_vnd"] for r in summary["renewal"] if r["due_year"] == year)
        assert float(renewal[str(year)]["cost_vnd"]) == pytest.approx(cost)
    assets = page.locator('[data-figure="assets"] b').inner_text()
    assert assets == f"{sum(r['count'] for r in summary['inventory']):,}"
    drawn = page.evaluate("[...document.querySelectorAll('#planning-body canvas')]"
                          ".map((c) => c.width > 0 && c.height > 0)")
    assert drawn == [True] * 4  # the four charts
    assert_stayed_local(requests)



@pytest.mark.slow
def test_a_small_figure_is_not_shown_as_zero(planning_page):
    """A tree's inspection (0.15 million VND) or a 3 m cable (0.003 km) is not written 0."""
    page, _ = planning_page
    shown = page.evaluate("[[0.3, 0], [0.003, 2], [-0.02, 1], [0, 1], [1234.5, 0], [0.15, 2]]"
                          ".map(([v, d]) => window.twin.planning.number(v, d))")
    assert shown == ["< 1", "< 0.01", "> -0.1", "0.0", "1,235", "0.15"]

@pytest.mark.slow
def test_the_report_link_downloads_the_wards_report(planning_page, live_server_http):
    page, requests = planning_page
    if not page.locator("#planning-ward").input_value():  # a ward, as the test before chose
        page.locator("#planning-ward").select_option(index=1)
        wait_until(page, "document.getElementById('planning-report-xlsx')?.href.includes('ward=')")
    code = page.locator("#planning-ward").input_value()
    with page.expect_download(timeout=120_000) as download:
        page.locator("#planning-report-xlsx").click()
    file = download.value
    assert file.suggested_filename.startswith(f"planning-report-{code}-")
    assert file.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(file.path()).read_bytes()))
    summary = live_server_http.get("/api/planning/summary", params={"ward": code}).json()
    counts = {r[0]: r[1] for r in book["Inventory"].iter_rows(min_row=2, values_only=True)}
    assert sum(counts.values()) == sum(r["count"] for r in summary["inventory"])
    assert_stayed_local(requests)
