"""``GET /api/styles``: every layer's 3D style from ``layers/``, for the browser map.

The browser draws each layer with the deck.gl layer its style names, from the layer's vector tiles;
pydeck (``web.export_html``) reads the same styles, so the two maps agree.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from layers import LAYERS, LayerSpec
from layers._style import ROLE_COLOURS
from web.auth import Permission, requires

router = APIRouter(dependencies=[requires(Permission.READ)])


def layer_style_json(spec: LayerSpec) -> dict[str, Any]:
    """One layer as the browser map reads it: name, title, network, geometry type and style."""
    return {
        "name": spec.name,
        "title": spec.title,
        "network": spec.network,
        "geometry_type": spec.geometry_type,
        "style": spec.style.to_json() if spec.style else None,
    }


def styles_json() -> dict[str, Any]:
    """``{"layers": [...], "roles": {...}}``: the layers in the registry's order (base layers
    first, networks after) and the colours of simulation results' roles."""
    return {"layers": [layer_style_json(spec) for spec in LAYERS.values()],
            "roles": {role: list(rgba) for role, rgba in ROLE_COLOURS.items()}}


@router.get("/api/styles", tags=["map"], summary="Every layer's 3D style")
def get_styles() -> dict[str, Any]:
    """How the 3D map draws each layer (deck.gl layer kind, colours, sizes in metres)."""
    return styles_json()
