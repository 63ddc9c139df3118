"""The JSON documents of OGC API Features and Tiles: landing page, conformance, collections,
tileset lists and tilesets (a tileset is also a TileJSON 3 document, so MapLibre, deck.gl and
GDAL read the same URL). Pure functions of the collection registry and the base URL."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import morecantile

from web.collections import Collection
from web.features import BBox
from web.tiles import MAX_ZOOM

JSON, GEOJSON, MVT = "application/json", "application/geo+json", "application/vnd.mapbox-vector-tile"
SCHEMA = "application/schema+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
TMS_ID = "WebMercatorQuad"
_TMS = morecantile.tms.get(TMS_ID)
WEB_MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"
REL_TILESETS = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
_FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_TILES = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
CONFORMANCE = [
    _FEATURES + "core", _FEATURES + "geojson", _FEATURES + "oas30",
    _TILES + "core", _TILES + "tileset", _TILES + "tilesets-list", _TILES + "geodata-tilesets",
    _TILES + "mvt",
]
_DIMENSION = {"Point": 0, "LineString": 1, "MultiPolygon": 2}
_TYPES = {bool: "boolean", int: "integer", float: "number"}
_FORMATS = {date: "date", datetime: "date-time"}


def link(href: str, rel: str, media_type: str = JSON, title: str | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"href": href, "rel": rel, "type": media_type,
            **({"title": title} if title else {}), **extra}


def landing_page(base: str) -> dict[str, Any]:
    return {
        "title": "Urban Twin",
        "description": "The city's infrastructure as OGC API Features and vector tiles",
        "links": [
            link(f"{base}/?f=json", "self", title="This document"),
            link(f"{base}/openapi.json", "service-desc", OPENAPI, "The API definition"),
            link(f"{base}/docs", "service-doc", "text/html", "The API documentation"),
            link(f"{base}/conformance", "conformance", title="Conformance classes"),
            link(f"{base}/collections", "data", title="The collections"),
            link(f"{base}/tileMatrixSets", REL_TILING_SCHEMES, title="Tile matrix sets"),
        ],
    }


def collection_document(base: str, collection: Collection, extent: BBox | None) -> dict[str, Any]:
    href = f"{base}/collections/{collection.id}"
    document: dict[str, Any] = {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            link(href, "self", title=collection.title),
            link(f"{href}/items", "items", GEOJSON, f"{collection.title} as GeoJSON"),
            link(f"{href}/tiles", REL_TILESETS, title=f"{collection.title} as vector tiles"),
            # GDAL's OAPIF driver reads field types from this link (its rel spelt so)
            link(f"{href}/schema", "describedBy", SCHEMA, f"{collection.title}: JSON Schema"),
        ],
    }
    if extent is not None:
        document["extent"] = {"spatial": {"bbox": [list(extent)], "crs": CRS84}}
    return document


def feature_schema(base: str, collection: Collection) -> dict[str, Any]:
    """JSON Schema of the collection's GeoJSON features, so clients know each field's type
    (a float column whose first values are whole would otherwise look like an integer)."""
    properties: dict[str, Any] = {}
    for column in collection.columns:
        if not column.plain:
            properties[column.name] = {"type": "object"}
        elif column.kind in _FORMATS:
            properties[column.name] = {"type": "string", "format": _FORMATS[column.kind]}
        else:
            properties[column.name] = {"type": _TYPES.get(column.kind, "string")}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/schema",
        "title": collection.title,
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", "description": f"GeoJSON {collection.geometry_type}"},
            "properties": {"type": "object", "properties": properties},
        },
    }


def page_links(collection_href: str, params: dict[str, str], offset: int, limit: int,
               returned: int, matched: int) -> list[dict[str, Any]]:
    """self, collection, and next / prev when there are more pages; ``params`` are the request's
    other query parameters, kept in every link."""
    def page(at: int) -> str:
        return f"{collection_href}/items?{urlencode({**params, 'offset': at})}"

    links = [link(page(offset), "self", GEOJSON, "This page"),
             link(collection_href, "collection", title="The collection")]
    if offset + returned < matched:
        links.append(link(page(offset + limit), "next", GEOJSON, "Next page"))
    if offset > 0:
        links.append(link(page(max(offset - limit, 0)), "prev", GEOJSON, "Previous page"))
    return links


def collections_document(base: str, documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {"collections": documents,
            "links": [link(f"{base}/collections", "self", title="The collections")]}


def _tms_links(base: str) -> list[dict[str, Any]]:
    return [link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, title=TMS_ID)]


def tilesets_document(base: str, collection: Collection) -> dict[str, Any]:
    href = f"{base}/collections/{collection.id}/tiles"
    return {
        "tilesets": [{
            "title": f"{collection.title} ({TMS_ID})",
            "dataType": "vector",
            "crs": WEB_MERCATOR,
            "tileMatrixSetURI": _TMS.uri,
            "links": [link(f"{href}/{TMS_ID}", "self", title="The tileset"), *_tms_links(base)],
        }],
        "links": [link(href, "self", title="Tilesets")],
    }


def tileset_document(base: str, collection: Collection, extent: BBox | None) -> dict[str, Any]:
    """One document that is both an OGC API Tiles tileset and TileJSON 3.0.0."""
    href = f"{base}/collections/{collection.id}/tiles/{TMS_ID}"
    bounds = list(extent) if extent else [-180.0, -85.0511, 180.0, 85.0511]
    fields = {"id": "string", **{c.name: _TYPES.get(c.kind, "string")
                                  for c in collection.plain_columns}}
    return {
        "tilejson": "3.0.0",
        "name": collection.id,
        "description": collection.description,
        "scheme": "xyz",
        "tiles": [f"{href}/{{z}}/{{x}}/{{y}}"],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 15],
        "vector_layers": [{"id": collection.id, "description": collection.title,
                           "minzoom": 0, "maxzoom": MAX_ZOOM,
                           "fields": {name: kind.capitalize() for name, kind in fields.items()}}],
        "title": collection.title,
        "dataType": "vector",
        "crs": WEB_MERCATOR,
        "tileMatrixSetURI": _TMS.uri,
        "links": [
            link(href, "self", title="This tileset (also TileJSON 3)"),
            *_tms_links(base),
            link(f"{href}/{{tileMatrix}}/{{tileCol}}/{{tileRow}}", "item", MVT,
                 "Mapbox vector tiles", templated=True),
        ],
        "layers": [{
            "id": collection.id,
            "dataType": "vector",
            "geometryDimension": _DIMENSION[collection.geometry_type],
            "propertiesSchema": {"type": "object", "properties": {
                name: {"type": kind} for name, kind in fields.items()}},
        }],
    }


def tile_matrix_sets(base: str) -> dict[str, Any]:
    return {"tileMatrixSets": [{
        "id": TMS_ID, "title": _TMS.title, "uri": _TMS.uri,
        "links": [link(f"{base}/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, title=TMS_ID)],
    }]}


def tile_matrix_set() -> dict[str, Any]:
    """WebMercatorQuad as OGC Two Dimensional Tile Matrix Set 2.0 JSON (from morecantile)."""
    return _TMS.model_dump(mode="json", exclude_none=True)


def json_text(document: Any) -> str:
    """Compact JSON text, for answers assembled around GeoJSON that PostGIS wrote."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
