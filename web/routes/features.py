"""OGC API Features: landing page, conformance, collections, items and single items (GeoJSON,
EPSG:4326). Handlers parse, delegate to ``web.features`` and answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from web import features, ogc
from web.auth import Permission, requires
from web.collections import NotFound, collections, get_collection
from web.deps import BaseUrlDep, ConnectionDep, ExtentsDep
from web.frontend import index_page, wants_html
from web.params import items_query

router = APIRouter(tags=["OGC API Features"])
READ = [requires(Permission.READ)]


@router.get("/", summary="Landing page (JSON: links only), or the browser app for browsers; "
                         "open to all, as the browser app must be to show its sign-in",
            response_model=None)
def landing(request: Request, base: BaseUrlDep) -> dict[str, Any] | Response:
    if wants_html(request):
        return index_page()
    return ogc.landing_page(base)


@router.get("/conformance", summary="Conformance classes", dependencies=READ)
def conformance() -> dict[str, Any]:
    return {"conformsTo": ogc.CONFORMANCE}


@router.get("/collections", summary="Every layer and the network topology", dependencies=READ)
def list_collections(conn: ConnectionDep, extents: ExtentsDep, base: BaseUrlDep
                     ) -> dict[str, Any]:
    boxes = extents.of(conn, list(collections().values()))
    documents = [ogc.collection_document(base, c, boxes[c.id]) for c in collections().values()]
    return ogc.collections_document(base, documents)


@router.get("/collections/{collection_id}", summary="One collection", dependencies=READ)
def describe_collection(collection_id: str, conn: ConnectionDep, extents: ExtentsDep,
                        base: BaseUrlDep) -> dict[str, Any]:
    collection = get_collection(collection_id)
    return ogc.collection_document(base, collection,
                                   extents.of(conn, [collection])[collection.id])


@router.get("/collections/{collection_id}/schema", summary="JSON Schema of the features",
            response_class=JSONResponse, dependencies=READ)
def schema(collection_id: str, base: BaseUrlDep) -> JSONResponse:
    document = ogc.feature_schema(base, get_collection(collection_id))
    return JSONResponse(document, media_type=ogc.SCHEMA)


@router.get("/collections/{collection_id}/items",
            summary="Features: bbox (lon/lat), limit (≤ 10,000), offset and property filters "
                    "such as ?lamp_type=LED", response_class=Response, dependencies=READ)
def items(collection_id: str, request: Request, conn: ConnectionDep, base: BaseUrlDep
          ) -> Response:
    collection = get_collection(collection_id)
    query = items_query(collection, request.query_params)
    page = features.read_items(conn, collection, query)
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "f")}
    links = ogc.page_links(f"{base}/collections/{collection.id}", params, query.offset,
                           query.limit, page.returned, page.matched)
    head = ogc.json_text({"type": "FeatureCollection", "numberMatched": page.matched,
                          "numberReturned": page.returned, "links": links})
    body = head[:-1] + ', "features": ' + page.features + "}"
    return Response(body, media_type=ogc.GEOJSON)


@router.get("/collections/{collection_id}/items/{item_id}", summary="One feature",
            response_class=Response, dependencies=READ)
def item(collection_id: str, item_id: str, conn: ConnectionDep, base: BaseUrlDep) -> Response:
    collection = get_collection(collection_id)
    feature = features.read_item(conn, collection, item_id)
    if feature is None:
        raise NotFound(f"collection '{collection.id}' has no feature '{item_id}'")
    links = [ogc.link(f"{base}/collections/{collection.id}/items/{item_id}", "self", ogc.GEOJSON),
             ogc.link(f"{base}/collections/{collection.id}", "collection")]
    body = feature[:-1] + ', "links": ' + ogc.json_text(links) + "}"
    return Response(body, media_type=ogc.GEOJSON)
