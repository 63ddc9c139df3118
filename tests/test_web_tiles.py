"""Vector tiles, tilesets and TileJSON over the small demo city; freshness after a change."""

from __future__ import annotations

import asyncio
import gzip
import time
from types import SimpleNamespace

import mapbox_vector_tile
import morecantile
import pytest
import sqlalchemy as sa
from psycopg import AsyncConnection
from starlette.requests import Request

from tests.web_fixtures import client_for, user_for
from twin.config import Settings
from twin.database import create_engine
from twin.errors import InvalidInput
from twin.read import read_layer
from web import auth as web_auth
from web.auth import AuthCache, Principal, resolve
from web.collections import get_collection
from web.tile_cache import MAX_BYTES, CachedTile, TileCache
from web.tile_seed import SeedStatus, TileSeeder, seed_zooms
from web.tiles import Tile, tile_pool
from web.versions import data_version, data_version_async

TMS = morecantile.tms.get("WebMercatorQuad")


def tile_url(layer: str, lon: float, lat: float, zoom: int) -> str:
    tile = TMS.tile(lon, lat, zoom)
    return f"/collections/{layer}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}"


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data)  # type: ignore[no-any-return]


def test_a_tile_holds_the_features_in_it_with_ids_and_plain_columns(web_client, demo_engine):
    lamps = read_layer(demo_engine, "luminaires")
    lamp = lamps.iloc[len(lamps) // 2]
    answer = web_client.get(tile_url("luminaires", lamp.geom.x, lamp.geom.y, 16))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = decode(answer.content)
    assert list(layers) == ["luminaires"]
    features = {f["properties"]["id"]: f["properties"] for f in layers["luminaires"]["features"]}
    assert features[lamp.name]["lamp_type"] == lamp["lamp_type"]
    assert features[lamp.name]["mounting_height_m"] == pytest.approx(lamp["mounting_height_m"])
    assert "attributes" not in features[lamp.name]
    bounds = TMS.bounds(TMS.tile(lamp.geom.x, lamp.geom.y, 16))
    buffer = (bounds.right - bounds.left) * 64 / 4096  # the tile's buffer, in degrees here

    def within(margin: float) -> set[str]:
        return set(lamps.cx[bounds.left - margin:bounds.right + margin,
                            bounds.bottom - margin:bounds.top + margin].index)

    assert within(0.9 * buffer) <= set(features) <= within(1.1 * buffer)


def test_lines_polygons_dates_and_topology_tile(web_client, demo_engine):
    tree = read_layer(demo_engine, "trees").iloc[0]
    for layer in ("trees", "roads", "buildings", "network_edges", "water_pipes"):
        answer = web_client.get(tile_url(layer, tree.geom.x, tree.geom.y, 13))
        assert answer.status_code == 200, answer.text
        assert list(decode(answer.content)) == [layer]
    trees = decode(web_client.get(tile_url("trees", tree.geom.x, tree.geom.y, 13)).content)
    planted = {f["properties"]["id"]: f["properties"].get("planted_date")
               for f in trees["trees"]["features"]}
    assert planted[tree.name] == (str(tree["planted_date"]) if tree["planted_date"] else None)


def test_gzip_etag_and_not_modified(web_client, demo_engine):
    lamp = read_layer(demo_engine, "luminaires").iloc[0]
    url = tile_url("luminaires", lamp.geom.x, lamp.geom.y, 14)
    plain = web_client.get(url, headers={"Accept-Encoding": "identity"})
    zipped = web_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.headers["etag"] != zipped.headers["etag"]
    for answer, encoding in ((plain, "identity"), (zipped, "gzip")):
        again = web_client.get(url, headers={"If-None-Match": answer.headers["etag"],
                                             "Accept-Encoding": encoding})
        assert again.status_code == 304 and not again.content
    assert len(gzip.compress(plain.content)) < len(plain.content)


def test_an_empty_tile_is_empty(web_client):
    answer = web_client.get(tile_url("luminaires", -70.0, -40.0, 14))
    assert answer.status_code == 200 and answer.content == b""


def test_a_tile_is_fresh_after_the_data_change(demo_database_url):
    with client_for(demo_database_url) as client:
        engine = create_engine(demo_database_url)
        lamp = read_layer(engine, "luminaires").iloc[0]
        url = tile_url("luminaires", lamp.geom.x, lamp.geom.y, 16)
        before = client.get(url)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE luminaires SET lamp_type = 'HPS' WHERE id = :id"),
                         {"id": lamp.name})
        engine.dispose()
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        again = client.get(url, headers={"If-None-Match": after.headers["etag"]})
        assert again.status_code == 304
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        lamps = {f["properties"]["id"]: f["properties"]
                 for f in decode(after.content)["luminaires"]["features"]}
        assert lamps[lamp.name]["lamp_type"] == "HPS"


def test_synchronous_and_asynchronous_versions_agree(demo_engine):
    """Tiles (asynchronous psycopg) and extents and the snapshot (SQLAlchemy) read versions over
    two drivers: both must give the same text, or ETags would differ by the path that asked."""
    url = demo_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    tables = ("network_edges", "network_nodes")

    async def asynchronous() -> str:
        async with await AsyncConnection.connect(url, autocommit=True) as conn:
            return await data_version_async(conn, tables)

    with demo_engine.connect() as conn:
        assert data_version(conn, tables) == asyncio.run(asynchronous())


def test_tilesets_tilejson_and_tile_matrix_set(web_client, demo_engine):
    tilesets = web_client.get("/collections/roads/tiles").json()["tilesets"]
    assert tilesets[0]["dataType"] == "vector"
    self_link = next(link["href"] for link in tilesets[0]["links"] if link["rel"] == "self")
    tileset = web_client.get(self_link).json()
    assert tileset["tilejson"] == "3.0.0"
    assert tileset["tiles"][0].endswith("/collections/roads/tiles/WebMercatorQuad/{z}/{x}/{y}")
    layer = tileset["vector_layers"][0]
    assert layer["id"] == "roads" and layer["fields"]["width_m"] == "Number"
    assert "attributes" not in layer["fields"]
    west, south, east, north = read_layer(demo_engine, "roads").total_bounds
    assert tileset["bounds"] == pytest.approx([west, south, east, north])
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["type"] == "application/vnd.mapbox-vector-tile"
    assert {"{tileMatrix}", "{tileRow}", "{tileCol}"} <= {
        part for part in item["href"].split("/") if part.startswith("{")}
    tms = web_client.get("/tileMatrixSets/WebMercatorQuad").json()
    assert tms["id"] == "WebMercatorQuad" and tms["crs"].endswith("/EPSG/0/3857")


@pytest.mark.parametrize(("url", "status", "named"), [
    ("/collections/luminaires/tiles/WebMercatorQuad/14/16384/0", 400, "14/16384/0"),
    ("/collections/luminaires/tiles/WebMercatorQuad/23/0/0", 400, "23"),
    ("/collections/luminaires/tiles/WebMercatorQuad/-1/0/0", 400, "-1"),
    ("/collections/luminaires/tiles/WebMercatorQuad/14/x/0", 400, "'x'"),
    ("/collections/luminaires/tiles/WorldCRS84Quad/1/0/0", 404, "'WorldCRS84Quad'"),
    ("/collections/lamps/tiles/WebMercatorQuad/1/0/0", 404, "'lamps'"),
    ("/collections/lamps/tiles", 404, "'lamps'"),
])
def test_bad_tile_requests(web_client, url, status, named):
    answer = web_client.get(url)
    assert answer.status_code == status
    assert named in str(answer.json()["detail"])


def cache_status(client, rounds: int) -> dict:
    """``/api/tiles/cache`` once the seeder has made its tiles ``rounds`` times (at the start,
    then after each change)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get("/api/tiles/cache").json()
        if status["seeding"]["state"] == "ready" and status["seeding"]["rounds"] >= rounds:
            return status  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"the tiles were not made ahead in 60 s: {status}")


def test_low_zoom_tiles_are_made_ahead_and_again_after_a_change(demo_database_url):
    with client_for(demo_database_url, tile_seed_max_zoom=14) as client:
        engine = create_engine(demo_database_url)
        lamp = read_layer(engine, "luminaires").iloc[0]
        seeded = cache_status(client, rounds=1)
        assert seeded["seeding"]["zooms"] == [10, 14]
        for zoom in (10, 14):  # made ahead: asking adds nothing to the cache
            assert client.get(tile_url("luminaires", lamp.geom.x, lamp.geom.y, zoom)).content
        assert client.get("/api/tiles/cache").json()["tiles"] == seeded["tiles"]
        client.get(tile_url("luminaires", lamp.geom.x, lamp.geom.y, 15))  # made on request
        assert client.get("/api/tiles/cache").json()["tiles"] == seeded["tiles"] + 1

        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE luminaires SET lamp_type = 'HPS' WHERE id = :id"),
                         {"id": lamp.name})
        engine.dispose()
        again = cache_status(client, rounds=seeded["seeding"]["rounds"] + 1)
        luminaire_tiles = again["seeding"]["tiles"]
        assert luminaire_tiles < seeded["seeding"]["tiles"], "only the luminaires are made again"
        # the luminaires' tiles of the old version are gone, the one of zoom 15 too, and as many
        # new ones made: had they stayed, the cache would hold luminaire_tiles + 1 more
        assert again["tiles"] == seeded["tiles"]
        answer = client.get(tile_url("luminaires", lamp.geom.x, lamp.geom.y, 14))
        lamps = {f["properties"]["id"]: f["properties"]
                 for f in decode(answer.content)["luminaires"]["features"]}
        assert lamps[lamp.name]["lamp_type"] == "HPS"
        assert client.get("/api/tiles/cache").json()["tiles"] == again["tiles"]


def test_a_tile_asked_for_twice_at_once_is_made_once(demo_engine):
    url = demo_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    roads = get_collection("roads")

    async def ask_twice() -> tuple[CachedTile, CachedTile, dict[str, int]]:
        async with tile_pool(url, size=2) as pool:
            cache = TileCache(pool)
            version = await cache.version(roads)
            first, second = await asyncio.gather(cache.tile(roads, Tile(12, 3256, 1800), version),
                                                 cache.tile(roads, Tile(12, 3256, 1800), version))
            return first, second, cache.stats()

    first, second, stats = asyncio.run(ask_twice())
    assert first is second and stats["tiles"] == 1 and stats["bytes"] == first.size


def test_tile_requests_that_miss_the_credential_cache_together_make_one_lookup(demo_engine,
                                                                                 monkeypatch):
    """A map asks 8-12 tiles at once. With its token not cached (new, or its entry run out) each
    request looked the token up, an update of one row, so they waited on each other's commits."""
    url = demo_engine.url.render_as_string(hide_password=False)
    viewer = user_for(url, "viewer")
    lookups: list[str] = []
    real_lookup = web_auth._lookup

    def counted(engine: sa.Engine, secret: str) -> Principal | None:
        lookups.append(secret)
        return real_lookup(engine, secret)

    monkeypatch.setattr(web_auth, "_lookup", counted)
    cache = AuthCache()
    app = SimpleNamespace(state=SimpleNamespace(engine=demo_engine, auth_cache=cache))
    request = Request({"type": "http", "app": app, "headers": [], "client": ("127.0.0.1", 5)})

    async def burst() -> list[Principal | None]:
        return await asyncio.gather(*(resolve(request, viewer.token) for _ in range(8)))

    async def forgotten_meanwhile() -> list[Principal | None]:
        cache.forget()
        first = asyncio.ensure_future(resolve(request, viewer.token))
        await asyncio.sleep(0)  # its lookup is under way
        cache.forget()  # a revocation heard: a request from now on must not share that lookup
        return await asyncio.gather(first, resolve(request, viewer.token))

    assert [p.name for p in asyncio.run(burst()) if p] == [viewer.name] * 8
    assert len(lookups) == 1
    assert [p.name for p in asyncio.run(forgotten_meanwhile()) if p] == [viewer.name] * 2
    assert len(lookups) == 3


def test_the_server_can_make_every_tile_on_request(web_client):
    status = web_client.get("/api/tiles/cache").json()
    assert status["seeding"]["state"] == "off" and status["seeding"]["zooms"] is None


def test_a_seed_zoom_out_of_range_is_refused():
    with pytest.raises(InvalidInput, match="TWIN_TILE_SEED_MAX_ZOOM must be 10-16"):
        seed_zooms(5)
    with pytest.raises(ValueError, match="less than or equal to 16"):
        Settings(tile_seed_max_zoom=20)


def test_tiles_made_ahead_leave_half_the_cache_to_tiles_asked_for(demo_engine):
    url = demo_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def seed(max_bytes: int) -> tuple[SeedStatus, dict[str, int]]:
        async with tile_pool(url, size=2) as pool:
            cache = TileCache(pool, max_bytes=max_bytes)
            seeder = TileSeeder(cache, url, max_zoom=14)
            seeder.start()
            for _ in range(600):
                await asyncio.sleep(0.1)
                if seeder.status.state == "ready":
                    break
            await seeder.close()
            return seeder.status, cache.stats()

    every, roomy = asyncio.run(seed(MAX_BYTES))
    some, small = asyncio.run(seed(400_000))
    assert every.state == some.state == "ready"
    assert 0 < some.tiles < every.tiles and roomy["tiles"] == every.tiles
    assert small["bytes"] <= 400_000 and small["tiles"] == some.tiles, \
        "nothing made ahead was dropped to make room"
