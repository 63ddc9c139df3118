"""Debian's Chromium driven by Playwright (nothing downloads a browser), for the browser tests,
and what those tests share: the window, logging in, waiting for the map to settle, screenshots and
pixels.

``logged_in_state`` logs the live server's admin in through the app's login form once per module
and gives the browser profile it leaves (its session cookie): open the map with
``browser.new_context(storage_state=logged_in_state, ...)``.

Software GL (SwiftShader) draws WebGL headless; ``canvas_variance`` tells a drawn map from a blank
one.
"""

from __future__ import annotations

import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
import rasterio
from rasterio.errors import NotGeoreferencedWarning

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader",
                 "--enable-unsafe-swiftshader", "--disable-background-networking",
                 "--disable-component-update", "--disable-default-apps", "--disable-sync"]
SHOTS = Path("/tmp/shots")
"""Where a copy of each screenshot goes for people to look at (pytest's tmp_path keeps one too)."""
DIST = Path(__file__).resolve().parents[1] / "web" / "app" / "dist"
VIEWPORT = {"width": 1000, "height": 700}
MAP_AREA: dict[str, float] = {"x": 290, "y": 50, "width": 690, "height": 600}
"""The part of the window where the map shows (right of the layer panel, between the bars)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (Playwright's sync API runs one at a time, and each
    module that imports this fixture gets its own)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_until(page, expression: str, arg: object = None, timeout: float = 30_000,  # type: ignore[no-untyped-def]
               polling: float = 100) -> Any:
    """Playwright's ``wait_for_function`` without ``eval``: that evaluates its predicate with
    ``new Function``, which the app's Content Security Policy (``script-src 'self'``) forbids,
    as it should; this polls ``page.evaluate`` (run through the browser's debugging protocol,
    outside the page's policy) every ``polling`` ms for up to ``timeout`` ms, across reloads,
    and returns the first truthy value."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            value = page.evaluate(expression, arg)
        except PlaywrightError as error:  # the page is being opened again (a reload)
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout / 1000:g} s: {expression}")
        page.wait_for_timeout(polling)


def log_in(page, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the app's login form and send it, as a user does (keyboard: Enter sends)."""
    page.locator("#login-name").fill(name)
    page.locator("#login-password").fill(password)
    page.locator("#login-password").press("Enter")


@pytest.fixture(scope="module")
def logged_in_state(browser, live_server: str,  # type: ignore[no-untyped-def]
                    live_server_users) -> Any:
    """The live server's admin logged in through the login form, once per module: the browser
    profile (session cookie, storage) to open the map with."""
    admin = live_server_users["admin"]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/", wait_until="load")
        page.locator("#login-name").wait_for(timeout=30_000)
        log_in(page, admin.name, admin.password)
        wait_until(page, "n => window.twin.user?.name === n", arg=admin.name)
        state = context.storage_state()
    finally:
        context.close()
    return state


def pixels(png: bytes) -> np.ndarray:
    """A PNG screenshot as an (rows, columns, 3) array of RGB levels (GDAL reads it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.MemoryFile(png) as memory, memory.open() as image:
            bands = image.read()
    return np.moveaxis(bands[:3], 0, -1).astype(int)


def image_variance(png: bytes) -> float:
    """Variance of a screenshot's grey levels: ~0 for a blank picture."""
    return float(pixels(png).mean(axis=2).var())


def picture_change(before: bytes, after: bytes) -> float:
    """Share of pixels (0..1) that differ between two screenshots of the same size."""
    return float((np.abs(pixels(before) - pixels(after)).sum(axis=2) > 30).mean())


def keep_shot(png: bytes, tmp_path: Path, name: str) -> Path:
    """Save a screenshot in the test's tmp_path and a copy in /tmp/shots/ for the report."""
    path = tmp_path / name
    path.write_bytes(png)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / name)
    return path


def leaves_localhost(url: str) -> bool:
    """Whether a request goes anywhere but this machine (data:, blob: and file: stay here)."""
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "file", "about", "chrome-extension"):
        return False
    return parsed.hostname not in ("127.0.0.1", "localhost", "::1")


def assert_stayed_local(requests: list[str]) -> None:
    """No request of the page so far went anywhere but this machine."""
    assert [u for u in requests if leaves_localhost(u)] == []


def settle(page, timeout_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the base map and every deck.gl tile layer have loaded and drawn."""
    wait_until(page, "window.twin && window.twin.ready && window.twin.isIdle()",
               timeout=timeout_ms, polling=200)
    page.wait_for_timeout(600)


def map_shot(page, clip: dict[str, float] = MAP_AREA) -> bytes:  # type: ignore[no-untyped-def]
    """A screenshot of the map (by default the part right of the layer panel)."""
    return page.screenshot(clip=clip)  # type: ignore[no-any-return]


def map_centre() -> tuple[float, float]:
    return VIEWPORT["width"] / 2, VIEWPORT["height"] / 2


def centre_colour(page, size: int = 6) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Mean RGB of a small square at the centre of the window."""
    x, y = map_centre()
    shot = page.screenshot(clip={"x": x - size / 2, "y": y - size / 2, "width": size,
                                 "height": size})
    return pixels(shot).reshape(-1, 3).mean(axis=0)
