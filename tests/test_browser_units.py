"""The browser app's pure functions (geometry, labels, colours, live state, the two languages),
tested by Node's own test runner over ``web/app/test/`` (no packages, no browser)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "web" / "app"


def test_the_app_units_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: ./run installs Debian's nodejs")
    run = subprocess.run([node, "--test", "test/"], cwd=APP, capture_output=True, text=True,
                         timeout=120)
    summary = [line for line in run.stdout.splitlines() if line.startswith(("# pass", "# fail"))]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert summary[0] != "# pass 0", "no test ran"
