"""Signing in to the map in a real headless Chromium (Debian's, driven by Playwright) over a
running server on the small demo city: the login form (wrong password, right one, keyboard,
Vietnamese), Log out, a viewer offered no incident or simulation buttons, a session ended
elsewhere bringing the form back, and the public's map when the server lets anyone read. The
page asks nothing of any host but this one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.browser_support import (
    DIST,
    VIEWPORT,
    assert_stayed_local,
    keep_shot,
    log_in,
    settle,
    wait_until,
)
from tests.web_fixtures import running_server

pytestmark = pytest.mark.slow


@pytest.fixture
def fresh_page(browser, live_server: str) -> Iterator[tuple[Any, list[str]]]:
    """A new browser profile (no session) on the map's page, and every URL it requests."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"the browser app is not built ({DIST}): run "
                    "'npm ci --prefix web/app && npm run build --prefix web/app'")
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(f"{live_server}/", wait_until="load")
    yield page, requests
    context.close()


def login_form_shown(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("#login-form").wait_for(state="visible", timeout=30_000)


def signed_in_as(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the map has started for ``name``."""
    wait_until(page, "n => window.twin?.user?.name === n && window.twin.ready", arg=name,
               timeout=60_000)


def open_incident(ingest: httpx.Client, http: httpx.Client) -> dict[str, Any]:
    """A camera's incident raised through the live ingest (the device's key); returns it."""
    camera = http.get("/collections/cameras/items", params={"limit": 1}).json()["features"][0]
    answer = ingest.post(f"/api/live/cameras/{camera['id']}/events", json={
        "event": "incident", "time": datetime.now(UTC).isoformat(),
        "incident": {"type": "accident", "confidence": 0.9}})
    assert answer.status_code == 200, answer.text
    return http.get("/api/incidents", params={"status": "open", "asset": camera["id"]}
                    ).json()["incidents"][0]  # type: ignore[no-any-return]


def test_wrong_password_then_right_one_by_keyboard(fresh_page, live_server_users, tmp_path):
    page, requests = fresh_page
    operator = live_server_users["operator"]
    login_form_shown(page)
    assert page.evaluate("document.activeElement.id") == "login-name"

    page.keyboard.type(operator.name)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    error = page.locator("#login-error")
    error.wait_for(state="visible")
    keep_shot(page.screenshot(), tmp_path, "login_refused.png")
    assert error.inner_text() == "wrong name or password"
    assert page.locator("#login-form").is_visible()
    assert page.evaluate("window.twin.user") is None

    page.locator("#login-password").fill(operator.password)
    page.keyboard.press("Enter")
    signed_in_as(page, operator.name)
    settle(page)
    keep_shot(page.screenshot(), tmp_path, "login_operator.png")
    assert not page.locator("#login").is_visible()
    assert page.locator("#who").inner_text().split() == [operator.name, "operator"]
    assert page.locator("#logout").is_visible() and not page.locator("#login-open").is_visible()
    assert_stayed_local(requests)


def test_login_form_speaks_vietnamese(fresh_page, tmp_path):
    page, requests = fresh_page
    login_form_shown(page)
    page.locator("#login-lang").click()
    wait_until(page, "document.documentElement.lang === 'vi'")
    keep_shot(page.screenshot(), tmp_path, "login_vi.png")
    shown = page.locator("#login-form").inner_text()
    assert {"Đăng nhập", "Tên đăng nhập", "Mật khẩu"} <= set(shown.splitlines())
    assert "Password" not in shown
    page.locator("#login-lang").click()
    wait_until(page, "document.documentElement.lang === 'en'")
    assert_stayed_local(requests)


def test_log_out_returns_to_the_form_and_ends_the_session(fresh_page, live_server,
                                                          live_server_users):
    page, requests = fresh_page
    admin = live_server_users["admin"]
    login_form_shown(page)
    log_in(page, admin.name, admin.password)
    signed_in_as(page, admin.name)
    assert page.request.get(f"{live_server}/api/auth/me").json()["name"] == admin.name
    cookie = next(c for c in page.context.cookies() if c["name"] == "twin_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.locator("#logout").click()
    login_form_shown(page)
    assert page.request.get(f"{live_server}/api/auth/me").status == 401
    # the session's secret is dead on the server, not only forgotten by the browser
    ended = httpx.get(f"{live_server}/api/auth/me", cookies={"twin_session": cookie["value"]})
    assert ended.status_code == 401
    assert_stayed_local(requests)


def test_a_viewer_is_offered_no_incident_or_simulation_buttons(
        fresh_page, live_server_users, live_server_http, live_server_ingest, tmp_path):
    page, requests = fresh_page
    viewer = live_server_users["viewer"]
    incident = open_incident(live_server_ingest, live_server_http)
    login_form_shown(page)
    log_in(page, viewer.name, viewer.password)
    signed_in_as(page, viewer.name)
    assert page.locator("#who").inner_text().split() == [viewer.name, "viewer"]
    assert not page.locator("#lighting-run").is_visible()
    page.evaluate("id => window.twin.openAsset(id)", incident["asset_ids"][0])
    page.locator("#asset-title").wait_for()
    assert not page.locator("#what-if").is_visible()
    page.locator("#asset-close").click()

    page.locator("#view-ioc").click()
    item = page.locator(f'#incident-list li[data-id="{incident["id"]}"]')
    item.wait_for()
    keep_shot(page.screenshot(), tmp_path, "viewer_ioc.png")
    assert item.locator("button").count() == 0
    assert "accident" in item.inner_text()
    live_server_http.post(f"/api/incidents/{incident['id']}/resolve", json={"who": "test"})
    assert_stayed_local(requests)


def test_an_operator_is_offered_them(fresh_page, live_server_users):
    page, requests = fresh_page
    operator = live_server_users["operator"]
    login_form_shown(page)
    log_in(page, operator.name, operator.password)
    signed_in_as(page, operator.name)
    assert page.locator("#lighting-run").is_visible()
    assert page.evaluate("[...window.twin.permissions].sort()") == ["incidents", "read", "simulate"]
    assert_stayed_local(requests)


def test_a_session_ended_elsewhere_brings_the_form_back(fresh_page, live_server, live_server_users,
                                                       tmp_path):
    """The session ends while the map is open (logged out in another tab): the next request
    answers 401 and the form comes back saying so; signing in again opens the map again."""
    page, requests = fresh_page
    engineer = live_server_users["engineer"]
    login_form_shown(page)
    log_in(page, engineer.name, engineer.password)
    signed_in_as(page, engineer.name)
    other_tab = page.context.new_page()
    assert other_tab.request.post(f"{live_server}/api/auth/logout").ok
    other_tab.close()

    # asks /api/kpis and /api/incidents; a tile or the live stream may have met the 401 first
    # and brought the form back over the button, so the click is dispatched to it directly
    page.locator("#view-ioc").dispatch_event("click")
    login_form_shown(page)
    keep_shot(page.screenshot(), tmp_path, "session_ended.png")
    assert page.locator("#login-error").inner_text() == "Your session has ended: log in again"
    assert page.evaluate("window.twin.user") is None

    log_in(page, engineer.name, engineer.password)
    page.wait_for_load_state("load")
    signed_in_as(page, engineer.name)
    assert not page.locator("#login").is_visible()
    assert_stayed_local(requests)


@pytest.fixture(scope="module")
def public_server(live_server_database_url: str) -> Iterator[str]:
    """A second server over the same city that lets anyone read (TWIN_ANONYMOUS_ROLE=viewer)."""
    with running_server(live_server_database_url, anonymous_role="viewer") as base:
        yield base


def test_the_public_map_opens_without_login_and_offers_it(
        browser, public_server, live_server_users, tmp_path):
    context = browser.new_context(viewport=VIEWPORT)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(f"{public_server}/", wait_until="load")
    settle(page)
    keep_shot(page.screenshot(), tmp_path, "public_map.png")
    assert not page.locator("#login").is_visible()
    assert page.locator("#login-open").is_visible() and not page.locator("#logout").is_visible()
    assert not page.locator("#lighting-run").is_visible()

    page.locator("#login-open").click()
    login_form_shown(page)
    page.keyboard.press("Escape")  # the public may go back to the map
    page.locator("#login").wait_for(state="hidden")

    operator = live_server_users["operator"]
    page.locator("#login-open").click()
    log_in(page, operator.name, operator.password)
    page.wait_for_load_state("load")
    signed_in_as(page, operator.name)
    assert page.locator("#logout").is_visible() and not page.locator("#login-open").is_visible()
    assert page.locator("#lighting-run").is_visible()
    context.close()
    assert_stayed_local(requests)
