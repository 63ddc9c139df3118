"""Exporting one layer to a GeoPackage or GeoJSON file in EPSG:4326.

Every column of the layer is written, the asset id as a column ``id``; ``attributes`` (JSONB) is
written as JSON text (GeoJSON readers see it as a nested object), dates as ISO text. The file is
written beside its destination and moved into place once complete, so a failed export leaves no
half-written file and an existing one is replaced only by a whole one. What is exported imports
back with ``twin import file`` (ids kept; ``source``, ``source_ref`` and ``ward_code`` set
anew by the import).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
from sqlalchemy import Boolean, Date, Engine
from sqlalchemy.dialects.postgresql import JSONB

from layers import LAYERS, get_layer
from twin.errors import InvalidInput
from twin.read import read_layer

DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}


def export_layer(engine: Engine, layer: str, path: str | Path) -> int:
    """Write ``layer`` to ``path`` (.gpkg, .geojson or .json) in EPSG:4326; returns the rows."""
    path = Path(path)
    driver = DRIVERS.get(path.suffix.lower())
    if driver is None:
        raise InvalidInput(f"cannot export to '{path.suffix}' files: give a .gpkg, .geojson or "
                           ".json file", source=str(path))
    get_layer(layer)
    if not path.parent.is_dir():
        raise InvalidInput(f"no folder {path.parent} to write into", source=str(path))
    frame = for_file(read_layer(engine, layer), layer)
    _write_whole(frame, path, driver, layer)
    return len(frame)


def for_file(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """A layer as read from the twin (indexed by id), with columns as a file can hold them."""
    table = LAYERS[layer].table
    out = frame.reset_index()
    for name in out.columns:
        if name not in table.columns or name == "geom":
            continue
        kind = table.columns[name].type
        if isinstance(kind, JSONB):
            out[name] = out[name].map(_json_text)
        elif isinstance(kind, Date):
            out[name] = pd.to_datetime(out[name]).dt.strftime("%Y-%m-%d")
        elif isinstance(kind, Boolean):
            out[name] = out[name].astype("boolean")
    return out


def _json_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return json.dumps(value, ensure_ascii=False)


def _write_whole(frame: gpd.GeoDataFrame, path: Path, driver: str, layer: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix,
                                         dir=path.parent)
    os.close(handle)
    os.unlink(temporary)  # the driver creates the file
    try:
        pyogrio.write_dataframe(frame, temporary, driver=driver, layer=layer,
                                geometry_type=LAYERS[layer].geometry_type)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
