"""The back ends the app API calls that are built beside the web (live incidents, the network and
lighting simulations): found at call time, so a build without one answers 503 naming it."""

from __future__ import annotations

import importlib
from typing import Any

from web.errors import NotAvailable


def require(module: str, name: str, what: str) -> Any:
    """``module.name``, or NotAvailable that says which part of the twin is missing."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise NotAvailable(f"not available in this build: {what} ({module}.{name}: {exc})") \
            from None
