"""``twin export-html FILE``: a standalone 3D map of the twin in one HTML file that opens offline.

pydeck's ``to_html(offline=True)`` inlines deck.gl, but its page template still links a Mapbox GL
script and four stylesheets from CDNs (Bootstrap, Font Awesome, MapLibre's and deck.gl's widget
CSS). The map here has no external base map (the twin's own water, roads and wards are drawn as
deck.gl layers) and needs none of them, so those tags are removed; what is left fetches nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from twin.errors import InvalidInput

_EXTERNAL_TAG = re.compile(
    r"""<script\b[^>]*\bsrc=["']?https?://[^>]*>\s*</script>\s*"""
    r"""|<link\b[^>]*\bhref=["']?https?://[^>]*>\s*""",
    re.IGNORECASE,
)


def strip_external_tags(html: str) -> str:
    """``html`` without ``<script src=http…>`` and ``<link href=http…>`` tags (what a browser
    would fetch from the internet when the page opens)."""
    return _EXTERNAL_TAG.sub("", html)


def external_tags(html: str) -> list[str]:
    """The tags of ``html`` that would fetch from the internet when it opens."""
    return [m.group(0).strip() for m in _EXTERNAL_TAG.finditer(html)]


def offline_html(deck: Any) -> str:
    """A pydeck Deck as one HTML page that fetches nothing when it opens (deck.gl inlined)."""
    return strip_external_tags(deck.to_html(as_string=True, offline=True, notebook_display=False))


def notebook_view(deck: Any, height: int = 520) -> Any:
    """Show a Deck in a notebook from its offline page (pydeck's own display loads deck.gl from
    a CDN, which a closed network does not reach)."""
    from IPython.display import HTML

    return HTML(f'<div><iframe srcdoc="{html.escape(offline_html(deck))}" width="100%" '
                f'height="{height}" style="border: 0"></iframe></div>')


def export_html(db: Engine | Connection, path: str | Path, layers: Iterable[str] | None = None, *,
                bbox: Sequence[float] | None = None, underground: bool = False,
                step: Callable[[str], None] | None = None) -> Path:
    """Write the twin's ``layers`` (default: ``web.pydeck_layers.map_layers``) inside ``bbox``
    (min lon, min lat, max lon, max lat) as a standalone HTML map; returns the path. ``step`` is
    called after each layer and once the file is written (progress bars).

    The file is written whole or not at all (a temporary file renamed into place).
    """
    from web.pydeck_layers import city_deck

    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise InvalidInput(f"the map is HTML: name a .html file, not '{target.name}'")
    if not target.parent.is_dir():
        raise InvalidInput(f"folder '{target.parent}' does not exist")
    deck = city_deck(db, layers, bbox=bbox, underground=underground, step=step)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(offline_html(deck), encoding="utf-8")
    partial.replace(target)
    if step is not None:
        step(target.name)
    return target
