"""What handlers receive as ``Annotated`` dependencies: the engine the lifespan opened, a
connection for one request, the request's base URL and the caches the app keeps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from web.extents import Extents
from web.snapshots import SnapshotCache
from web.tile_cache import TileCache
from web.tile_seed import TileSeeder


def get_engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def get_connection(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A pooled connection for the request; reads only, so nothing is committed."""
    with engine.connect() as conn:
        yield conn


def get_base_url(request: Request) -> str:
    """The server's own URL without the trailing slash, as links in documents need it."""
    return str(request.base_url).rstrip("/")


EngineDep = Annotated[Engine, Depends(get_engine)]
ConnectionDep = Annotated[Connection, Depends(get_connection)]
BaseUrlDep = Annotated[str, Depends(get_base_url)]


def get_snapshots(request: Request) -> SnapshotCache:
    return request.app.state.snapshots  # type: ignore[no-any-return]


SnapshotsDep = Annotated[SnapshotCache, Depends(get_snapshots)]


async def get_tile_cache(request: Request) -> TileCache:  # async: no thread for tile requests
    return request.app.state.tile_cache  # type: ignore[no-any-return]


TileCacheDep = Annotated[TileCache, Depends(get_tile_cache)]


def get_tile_seeder(request: Request) -> TileSeeder:
    return request.app.state.tile_seeder  # type: ignore[no-any-return]


TileSeederDep = Annotated[TileSeeder, Depends(get_tile_seeder)]


def get_extents(request: Request) -> Extents:
    return request.app.state.extents  # type: ignore[no-any-return]


ExtentsDep = Annotated[Extents, Depends(get_extents)]
