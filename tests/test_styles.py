"""Every layer's 3D style, defined once in ``layers/`` and served at ``/api/styles``."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from layers import LAYERS
from layers._style import LayerStyle, column
from twin.config import Settings
from web.styles import router

TOPOLOGY_KINDS = {"Point": {"ColumnLayer", "ScatterplotLayer"}, "LineString": {"PathLayer"},
                  "MultiPolygon": {"PolygonLayer"}}


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_layer_has_a_style_that_fits_its_table(name):
    spec = LAYERS[name]
    style = spec.style
    assert isinstance(style, LayerStyle), f"{name} has no style"
    assert style.kind in TOPOLOGY_KINDS[spec.geometry_type]
    missing = [c for c in style.attributes() if c not in spec.table.c]
    assert not missing, f"{name}: style reads columns the table lacks: {missing}"
    assert all(0 <= v <= 255 for v in style.color) and len(style.color) == 4


def test_heights_and_depths_are_where_the_brief_puts_them():
    assert LAYERS["luminaires"].style.height_attribute == "mounting_height_m"
    trees = LAYERS["trees"].style
    assert (trees.height_attribute, trees.radius_attribute) == ("height_m", "crown_diameter_m")
    assert LAYERS["buildings"].style.height_attribute == "height_m"
    underground = {name for name, spec in LAYERS.items() if spec.style.underground}
    assert {"water_pipes", "drainage_pipes", "power_lines", "fibre_cables", "ducts"} <= underground
    assert LAYERS["cameras"].style.view_cone


def test_style_json_has_a_palette_object():
    style = column((1, 2, 3, 4), radius_m=1.0, height_m=2.0, color_by="use",
                   palette=(("public", (9, 9, 9, 255)),))
    data = style.to_json()
    assert data["palette"] == {"public": [9, 9, 9, 255]}
    assert data["kind"] == "ColumnLayer" and data["underground"] is False


def test_api_styles_lists_every_layer_in_registry_order():
    app = FastAPI()
    app.include_router(router)
    app.state.settings = Settings(anonymous_role="viewer")  # reads open: no users here

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await c.get("/api/styles")

    answer = asyncio.run(get())
    assert answer.status_code == 200
    layers = answer.json()["layers"]
    assert [layer["name"] for layer in layers] == list(LAYERS)
    buildings = next(layer for layer in layers if layer["name"] == "buildings")
    assert buildings["style"]["kind"] == "PolygonLayer"
    assert buildings["style"]["height_attribute"] == "height_m"
    assert buildings["geometry_type"] == "MultiPolygon"
