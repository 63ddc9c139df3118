"""OGC API Features over the small demo city: documents, paging, filters, single items, errors."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from layers import LAYERS
from twin.read import read_layer

pytestmark = pytest.mark.usefixtures("web_client")

CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_landing_page_and_conformance(web_client):
    landing = web_client.get("/", headers={"Accept": "application/json"})
    rels = {link["rel"]: link for link in landing.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    conforms = web_client.get("/conformance").json()["conformsTo"]
    assert {CONF + "core", CONF + "geojson", CONF + "oas30"} <= set(conforms)
    api = web_client.get("/openapi.json").json()
    assert api["openapi"].startswith("3.0") and "/collections/{collection_id}/items" in api["paths"]
    declared = {code for operations in api["paths"].values() for operation in operations.values()
                for code in operation["responses"]}
    assert "422" not in declared and "400" in declared, "OGC API answers bad parameters with 400"


def test_a_browser_gets_a_page_at_the_root(web_client):
    page = web_client.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_collections_list_every_layer_and_the_topology(web_client, demo_engine):
    documents = {c["id"]: c for c in web_client.get("/collections").json()["collections"]}
    assert set(documents) == {*LAYERS, "network_nodes", "network_edges"}
    lamps = documents["luminaires"]
    rels = {link["rel"] for link in lamps["links"]}
    assert {"self", "items", "describedBy",
            "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"} <= rels
    xmin, ymin, xmax, ymax = lamps["extent"]["spatial"]["bbox"][0]
    with demo_engine.connect() as conn:
        box = conn.execute(sa.text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                                   "FROM (SELECT ST_Extent(geom) e FROM luminaires) s")).one()
    assert (xmin, ymin, xmax, ymax) == pytest.approx(tuple(box))
    assert web_client.get("/collections/luminaires").json()["extent"] == lamps["extent"]


def test_items_page_through_a_collection(web_client, demo_engine):
    expected = count(demo_engine, "SELECT count(*) FROM transformers")
    first = web_client.get("/collections/transformers/items")
    assert first.headers["content-type"] == "application/geo+json"
    page = first.json()
    assert page["type"] == "FeatureCollection" and page["numberMatched"] == expected
    assert page["numberReturned"] == len(page["features"]) == 10
    ids, url = [], "/collections/transformers/items?limit=7"
    while url:
        page = web_client.get(url).json()
        ids += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    with demo_engine.connect() as conn:
        assert ids == list(conn.execute(sa.text("SELECT id FROM transformers ORDER BY id"))
                           .scalars())
    prev = [link for link in page["links"] if link["rel"] == "prev"]
    assert prev and "offset=" in prev[0]["href"]


def test_bbox_and_property_filters(web_client, demo_engine):
    lamps = read_layer(demo_engine, "luminaires")
    west, south, east, north = lamps.total_bounds
    bbox = (west, south, (west + east) / 2, (south + north) / 2)
    inside = set(read_layer(demo_engine, "luminaires", bbox=bbox).index)
    url = f"/collections/luminaires/items?limit=10000&bbox={','.join(map(str, bbox))}"
    assert {f["id"] for f in web_client.get(url).json()["features"]} == inside
    led = web_client.get("/collections/luminaires/items?lamp_type=LED&limit=10000").json()
    assert led["numberMatched"] == int((lamps["lamp_type"] == "LED").sum())
    assert {f["properties"]["lamp_type"] for f in led["features"]} == {"LED"}
    edges = web_client.get("/collections/network_edges/items?network=power&kind=switch&"
                           "normally_connected=false").json()
    assert edges["numberMatched"] > 0
    assert all(f["geometry"]["type"] == "LineString" for f in edges["features"])


def test_a_limit_above_the_maximum_is_clamped(web_client, demo_engine):
    page = web_client.get("/collections/network_nodes/items?limit=20000").json()
    assert page["numberReturned"] == min(count(demo_engine, "SELECT count(*) FROM network_nodes"),
                                         10_000)


def test_one_item_and_its_schema(web_client, demo_engine):
    lamp = read_layer(demo_engine, "luminaires").iloc[0]
    item = web_client.get(f"/collections/luminaires/items/{lamp.name}")
    assert item.headers["content-type"] == "application/geo+json"
    feature = item.json()
    assert feature["id"] == lamp.name and feature["geometry"]["type"] == "Point"
    assert feature["properties"]["lamp_type"] == lamp["lamp_type"]
    assert feature["geometry"]["coordinates"] == pytest.approx([lamp.geom.x, lamp.geom.y],
                                                               abs=1e-7)
    schema = web_client.get("/collections/luminaires/schema")
    assert schema.headers["content-type"] == "application/schema+json"
    fields = schema.json()["properties"]["properties"]["properties"]
    assert fields["mounting_height_m"] == {"type": "number"}
    assert fields["install_year"] == {"type": "integer"}


@pytest.mark.parametrize(("url", "status", "named"), [
    ("/collections/lamps/items", 404, "'lamps'"),
    ("/collections/luminaires/items/LUM-999999", 404, "'LUM-999999'"),
    ("/collections/luminaires/items?limit=0", 400, "'limit'"),
    ("/collections/luminaires/items?limit=ten", 400, "'ten'"),
    ("/collections/luminaires/items?offset=-5", 400, "-5"),
    ("/collections/luminaires/items?bbox=106,21,107", 400, "'106,21,107'"),
    ("/collections/luminaires/items?bbox=a,b,c,d", 400, "'a,b,c,d'"),
    ("/collections/luminaires/items?bbox=106,95,107,96", 400, "'106,95,107,96'"),
    ("/collections/luminaires/items?colour=red", 400, "'colour'"),
    ("/collections/luminaires/items?wattage_w=bright", 400, "'bright'"),
    ("/collections/luminaires/items?attributes=x", 400, "'attributes'"),
    ("/collections/trees/items?planted_date=yesterday", 400, "'yesterday'"),
    ("/collections/roads/items?lit=maybe", 400, "'maybe'"),
])
def test_bad_requests_name_the_offending_value(web_client, url, status, named):
    answer = web_client.get(url)
    assert answer.status_code == status
    assert named in answer.json()["detail"]
