"""Debian's Chromium driven by Playwright (nothing downloads a browser), for the browser tests.

Software GL (SwiftShader) draws WebGL headless; ``canvas_variance`` tells a drawn map from a blank
one.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
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
