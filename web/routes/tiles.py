"""OGC API Tiles and TileJSON over ``web.tiles``: tileset lists, tilesets (also TileJSON 3),
the WebMercatorQuad tile matrix set, and the tiles themselves (MVT, gzip when asked).

Freshness: every tile carries a strong ``ETag`` of the version of its data and
``Cache-Control: no-cache``, so a client revalidates each time and gets ``304 Not Modified``
until the data change; the server keeps made tiles in memory per data version
(``web.tile_cache``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import Response

from web import ogc, tiles
from web.auth import Permission, requires
from web.collections import NotFound, get_collection
from web.deps import BaseUrlDep, ConnectionDep, ExtentsDep, TileCacheDep, TileSeederDep
from web.tile_cache import tile_etag

# the check is async and answers from memory for a known secret: no thread, no database
router = APIRouter(tags=["OGC API Tiles"], dependencies=[requires(Permission.READ)])


def _check_tms(tms: str) -> None:
    if tms != ogc.TMS_ID:
        raise NotFound(f"unknown tile matrix set '{tms}'; this server has {ogc.TMS_ID}")


@router.get("/tileMatrixSets", summary="Tile matrix sets")
def tile_matrix_sets(base: BaseUrlDep) -> dict[str, Any]:
    return ogc.tile_matrix_sets(base)


@router.get("/tileMatrixSets/{tms}", summary="A tile matrix set's definition")
def tile_matrix_set(tms: str) -> dict[str, Any]:
    _check_tms(tms)
    return ogc.tile_matrix_set()


@router.get("/collections/{collection_id}/tiles", summary="A collection's vector tilesets")
def tilesets(collection_id: str, base: BaseUrlDep) -> dict[str, Any]:
    return ogc.tilesets_document(base, get_collection(collection_id))


@router.get("/collections/{collection_id}/tiles/{tms}",
            summary="A tileset: OGC API Tiles metadata and TileJSON 3 in one document")
def tileset(collection_id: str, tms: str, conn: ConnectionDep, extents: ExtentsDep,
            base: BaseUrlDep) -> dict[str, Any]:
    collection = get_collection(collection_id)
    _check_tms(tms)
    return ogc.tileset_document(base, collection, extents.of(conn, [collection])[collection.id])


@router.get("/api/tiles/cache", tags=["App API"],
            summary="The server's tile cache: tiles and bytes held, and the tiles made ahead")
def tile_cache_status(cache: TileCacheDep, seeder: TileSeederDep) -> dict[str, Any]:
    return {**cache.stats(), "seeding": asdict(seeder.status)}


TILE = "/collections/{collection_id}/tiles/{tms}/{z}/{x}/{y}"


@router.get(TILE, summary="A vector tile (MVT) in XYZ numbering: zoom, column, row",
            response_class=Response,
            responses={200: {"content": {ogc.MVT: {}}}, 304: {"description": "Not modified"}})
async def tile(
    collection_id: str, tms: str, z: int, x: int, y: int, cache: TileCacheDep,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    collection = get_collection(collection_id)
    _check_tms(tms)
    wanted = tiles.check_tile(z, x, y)
    version = await cache.version(collection)
    version_etag = tile_etag(collection, version, wanted)
    gzip = "gzip" in accept_encoding
    # another encoding, another strong validator; the cache holds both encodings under one key
    etag = version_etag[:-1] + '-gz"' if gzip else version_etag
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if if_none_match is not None and etag in if_none_match:
        return Response(status_code=304, headers=headers)
    made = await cache.tile(collection, wanted, version)
    if gzip and made.data:
        return Response(made.gzipped, media_type=ogc.MVT,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(made.data, media_type=ogc.MVT, headers=headers)


router.add_api_route(TILE, tile, methods=["HEAD"], response_class=Response,
                     include_in_schema=False)
