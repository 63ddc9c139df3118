"""Importing a GIS file into one layer: GeoPackage, Shapefile, GeoJSON, or CSV with coordinates.

``read_gis_file`` turns a file into a :class:`twin.write.Dataset` in EPSG:4326 and writes nothing;
``import_gis_file`` writes it in one transaction, all or nothing. Every refusal is one line naming
the file, the feature (``feature n``, 1-based in file order; ``row n`` in a CSV, counting data rows
after the header), the column, and the rule broken. The rules, all checked before anything is
written:

- **CRS.** The file's own CRS is used; ``crs`` only names the CRS of a file that has none (a
  Shapefile without its ``.prj``, every CSV). A file with no CRS and no ``crs`` is refused, and so
  is a ``crs`` that differs from the file's own (both are named): overriding would silently move
  every feature. A CSV is never assumed to be WGS 84, even with lon/lat columns: VN-2000 longitudes
  and latitudes (EPSG:4756) lie 224 m from WGS 84 ones at Bắc Giang. Any CRS pyproj knows is
  accepted, e.g. the province's survey CRS VN-2000 / TM-3 107°00' (EPSG:9214), transformed with
  PROJ's default operation (the official VN-2000 → WGS 84 shift, EPSG:6960).
- **Columns.** Every field must be a column of the layer (case does not matter) or be renamed to
  one with ``mapping`` (twin column → file field). Unknown fields are refused, not tucked into
  ``attributes``: a misspelt ``heigth_m`` must not vanish. ``source`` and ``source_ref`` belong to
  the importer: rows get ``source='file'`` and ``source_ref='<file name>:<n>'`` (a file's own
  values, e.g. from ``twin export``, are replaced, with a note), so importing the same file twice
  is refused.
- **Ids.** An ``id`` field is kept when every value follows the layer's pattern (``TRE-000123``);
  when none does the twin numbers the rows (with a note); a mixture is refused. Layers without a
  prefix (districts, wards, water areas) need their ids.
- **Values** are checked against the table: numbers, whole numbers, booleans (true/false, yes/no,
  1/0), ISO dates, a JSON object for ``attributes``, enumerated values (``condition``,
  ``purpose``, ...), non-negative quantities. Required columns (NOT NULL, no default) must be
  present and filled; an empty cell in a column with a default gets the default.
- **Geometry** must be of the layer's type (single parts become multi where the layer is multi),
  present, valid (shapely's reason is quoted) and inside longitude/latitude range once in
  EPSG:4326 (a wrong CRS usually shows here). Z values are dropped.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from sqlalchemy import (
    Engine,
)

from ingest._load import Written, write_import
from ingest._values import converted_values, numbers
from layers import LayerSpec, get_layer
from twin.errors import InvalidInput
from twin.validate import crs_name, parse_crs, prepare_layer, required_columns, short
from twin.write import Dataset

FORMATS = {".gpkg": "GeoPackage", ".shp": "Shapefile", ".geojson": "GeoJSON", ".json": "GeoJSON",
           ".csv": "CSV"}
COORDINATE_PAIRS = (("x", "y"), ("lon", "lat"), ("longitude", "latitude"), ("easting", "northing"))
WKT_FIELDS = ("geometry", "wkt")
OWNED = ("source", "source_ref", "ward_code")
"""Columns the twin fills (provenance, and the ward from the geometry): a file's own values are
replaced."""

SOURCE = "file"


# -- the public surface -----------------------------------------------------------------------
def parse_mapping(items: list[str]) -> dict[str, str]:
    """``['height_m=HOEHE', ...]`` → ``{'height_m': 'HOEHE'}`` (twin column → file field)."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, field = (part.strip() for part in item.partition("="))
        if not sep or not column or not field:
            raise InvalidInput(f"--map '{item}' is not column=field (a twin column, then the "
                               "file's field that fills it)")
        if column in mapping:
            raise InvalidInput(f"--map names column '{column}' twice")
        if field in mapping.values():
            raise InvalidInput(f"--map uses field '{field}' twice")
        mapping[column] = field
    return mapping


def read_gis_file(path: str | Path, *, layer: str, crs: str | None = None,
                  mapping: dict[str, str] | None = None,
                  file_layer: str | None = None, name: str | None = None) -> Dataset:
    """The file's features as a Dataset for one layer (EPSG:4326), or InvalidInput naming the
    file. ``crs`` names the CRS of a file that has none; ``mapping`` is twin column → file field;
    ``file_layer`` chooses a layer inside a GeoPackage; ``name`` is the file's name in messages and
    ``source_ref`` (default: its name on disk; an upload is stored under a generated one).
    Nothing is written."""
    path = Path(path)
    name = name or path.name
    notes: list[str] = []
    try:
        spec = get_layer(layer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            frame, unit = _read(path, parse_crs(crs), file_layer)
        notes += _warnings_as_notes(caught, name)
        frame = _to_columns(frame, spec, mapping or {}, unit, notes)
        frame = converted_values(frame, spec.table, unit)
        ref = f"{name}:{file_layer}" if file_layer else name
        if "source_ref" in spec.table.c:
            frame = frame.assign(source=SOURCE, source_ref=[f"{ref}:{n}" for n in frame.index])
        frame = prepare_layer(spec, frame, unit)
    except InvalidInput as exc:
        raise exc.in_source(name) from None
    return Dataset(layers={spec.name: frame}, notes=notes)


def import_gis_file(engine: Engine, path: str | Path, *, layer: str, crs: str | None = None,
                    mapping: dict[str, str] | None = None,
                    file_layer: str | None = None, on_written: Written | None = None
                    ) -> dict[str, int]:
    """Import a GIS file into ``layer`` in one transaction; returns rows written per table.
    ``on_written`` runs in that transaction after the rows are written (the audit log)."""
    dataset = read_gis_file(path, layer=layer, crs=crs, mapping=mapping, file_layer=file_layer)
    return write_import(engine, dataset, Path(path).name, on_written=on_written)


def _warnings_as_notes(caught: list[warnings.WarningMessage], name: str) -> list[str]:
    """What the reader warned about the data, as notes; other warnings are passed on."""
    notes = []
    for w in caught:
        if issubclass(w.category, UserWarning | RuntimeWarning):
            notes.append(f"reading {name}: {w.message}")
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return notes


# -- reading ----------------------------------------------------------------------------------
def _read(path: Path, crs: CRS | None, file_layer: str | None) -> tuple[gpd.GeoDataFrame, str]:
    """The file as a GeoDataFrame with its CRS, indexed 1..n, and what a row is called."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"cannot import '{path.suffix}' files: give a GeoPackage (.gpkg), "
                           "Shapefile (.shp), GeoJSON (.geojson, .json) or CSV (.csv)")
    if not path.is_file():
        raise InvalidInput("no such file")
    if kind == "CSV":
        if file_layer is not None:
            raise InvalidInput("--file-layer chooses a layer in a GeoPackage; a CSV has one")
        frame, unit = _read_csv(path, crs), "row"
    else:
        frame, unit = _with_crs(_read_ogr(path, file_layer), crs), "feature"
    if not len(frame):
        raise InvalidInput("holds no features")
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    geometry = frame.geometry
    frame[geometry.name] = gpd.GeoSeries(shapely.force_2d(geometry.to_numpy()),
                                         index=frame.index, crs=geometry.crs)
    return frame, unit


def _read_ogr(path: Path, file_layer: str | None) -> gpd.GeoDataFrame:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if file_layer is None and len(layers) > 1:
            raise InvalidInput(f"holds {len(layers)} layers ({', '.join(layers)}): choose one "
                               "with --file-layer")
        if file_layer is not None and file_layer not in layers:
            raise InvalidInput(f"has no layer '{file_layer}' (its layers: {', '.join(layers)})")
        return gpd.read_file(path, engine="pyogrio", layer=file_layer or layers[0])
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInput(f"cannot be read: {_first_line(exc)}") from None


def _with_crs(frame: gpd.GeoDataFrame, given: CRS | None) -> gpd.GeoDataFrame:
    if frame.crs is None:
        if given is None:
            raise InvalidInput("has no CRS (a Shapefile without its .prj?): name the CRS of its "
                               "coordinates with --crs, e.g. EPSG:9214 (VN-2000 / TM-3 107-00) "
                               "or EPSG:4326 (WGS 84)")
        return frame.set_crs(given)
    if given is not None and not _same_crs(frame.crs, given):
        raise InvalidInput(f"its CRS is {crs_name(frame.crs)} but --crs says {crs_name(given)}: "
                           "--crs only names the CRS of a file that has none; drop it, or "
                           "reproject the file")
    return frame


def _same_crs(a: CRS, b: CRS) -> bool:
    return bool(a.equals(b, ignore_axis_order=True)
                or (a.to_epsg() is not None and a.to_epsg() == b.to_epsg()))


def _read_csv(path: Path, crs: CRS | None) -> gpd.GeoDataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("is not UTF-8 text: save the CSV as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInput(f"cannot be read as CSV: {_first_line(exc)}") from None
    table.index = pd.RangeIndex(1, len(table) + 1)
    table = table.astype(object).apply(lambda column: column.str.strip())
    table = table.where(table.ne(""), None)
    geoms, used = _csv_geometry(table)
    if crs is None:
        raise InvalidInput("a CSV has no CRS: name the CRS of its coordinates with --crs, e.g. "
                           "EPSG:4326 (WGS 84 / GPS longitude, latitude), EPSG:4756 (VN-2000 "
                           "longitude, latitude) or EPSG:9214 (VN-2000 / TM-3 107-00 metres)")
    return gpd.GeoDataFrame(table.drop(columns=used), geometry=geoms, crs=crs)


def _csv_geometry(table: pd.DataFrame) -> tuple[gpd.GeoSeries, list[str]]:
    """The geometry of each row, from a coordinate pair or a WKT field, and the fields used."""
    named = {str(c).lower(): str(c) for c in table.columns}
    pairs = [(named[x], named[y]) for x, y in COORDINATE_PAIRS if x in named and y in named]
    wkt = [named[c] for c in WKT_FIELDS if c in named]
    forms = [f"{x}/{y}" for x, y in pairs] + [f"WKT in '{c}'" for c in wkt]
    if not forms:
        raise InvalidInput("has no coordinates: give columns x/y, lon/lat, longitude/latitude or "
                           "easting/northing, or WKT in a 'geometry' or 'wkt' column")
    if len(forms) > 1:
        raise InvalidInput(f"has coordinates in more than one form ({', '.join(forms)}): keep one")
    if wkt:
        return _wkt_geometries(table[wkt[0]]), wkt
    x, y = pairs[0]
    xs, ys = numbers(table[x], "row", x), numbers(table[y], "row", y)
    points = np.where(xs.isna() | ys.isna(), None, shapely.points(xs.to_numpy(), ys.to_numpy()))
    return gpd.GeoSeries(points, index=table.index), [x, y]


def _wkt_geometries(values: pd.Series) -> gpd.GeoSeries:
    parsed = shapely.from_wkt(values.to_numpy(), on_invalid="ignore")
    bad = values.notna().to_numpy() & pd.isna(parsed)
    if bad.any():
        n = values.index[bad][0]
        raise InvalidInput(f"'{short(values[n])}' is not WKT", where=f"row {n}",
                           column=str(values.name))
    return gpd.GeoSeries(parsed, index=values.index)


# -- columns ----------------------------------------------------------------------------------
def _to_columns(frame: gpd.GeoDataFrame, spec: LayerSpec, mapping: dict[str, str], unit: str,
                notes: list[str]) -> gpd.GeoDataFrame:
    """The file's fields renamed to the layer's columns; importer-owned fields dropped."""
    geometry = frame.geometry.name
    fields = [str(c) for c in frame.columns if c != geometry]
    frame = frame.rename(columns=_renames(fields, spec, mapping))
    owned = [c for c in OWNED if c in frame.columns]
    if owned:
        notes.append(f"the file's {' and '.join(repr(c) for c in owned)} values were replaced: "
                     f"the twin sets source ('{SOURCE}'), source_ref ('<file name>:<feature "
                     "number>') and ward_code (the ward its geometry lies in) itself")
        frame = frame.drop(columns=owned)
    for column in required_columns(spec.table):
        if column not in frame.columns:
            raise InvalidInput(f"layer '{spec.name}' requires this column and the file has no "
                               f"such field (name one with --map {column}=FIELD)", column=column)
    return _with_ids(frame, spec, unit, notes)


def _renames(fields: list[str], spec: LayerSpec, mapping: dict[str, str]) -> dict[str, str]:
    """file field → twin column, or InvalidInput for a field that is neither."""
    columns = [c for c in spec.table.columns.keys() if c != "geom"]
    listed = ", ".join(c for c in columns if c not in OWNED)
    for column, field in mapping.items():
        if column not in columns:
            raise InvalidInput(f"--map {column}={field}: layer '{spec.name}' has no column "
                               f"'{column}' (its columns: {listed})")
        if field not in fields:
            raise InvalidInput(f"--map {column}={field}: the file has no field '{field}' (its "
                               f"fields: {', '.join(fields)})")
    renames = {field: column for column, field in mapping.items()}
    for field in fields:
        if field not in renames and field.lower() in columns:
            renames[field] = field.lower()
        elif field not in renames:
            raise InvalidInput(f"unknown column for layer '{spec.name}' (its columns: {listed}); "
                               f"rename it with --map COLUMN={field}", column=field)
    twice = [c for c, n in Counter(renames.values()).items() if n > 1]
    if twice:
        given = [f for f, c in renames.items() if c == twice[0]]
        raise InvalidInput(f"fields {' and '.join(given)} both fill column '{twice[0]}'")
    return renames


def _with_ids(frame: gpd.GeoDataFrame, spec: LayerSpec, unit: str,
              notes: list[str]) -> gpd.GeoDataFrame:
    """Keep a file's ids when they all follow the layer's pattern; drop them when none does."""
    if "id" not in frame.columns or spec.prefix is None:
        return frame
    ids = frame["id"]
    pattern = re.compile(rf"{spec.prefix}-\d+")
    fits = ids.map(lambda v: bool(pattern.fullmatch(str(v)))).astype(bool)
    if fits.all():
        return frame.assign(id=ids.astype(str))
    if not fits.any():
        notes.append(f"the file's ids do not follow {spec.prefix}-NNNNNN: the twin numbers the "
                     "rows (source_ref names each row's feature number)")
        return frame.drop(columns="id")
    n = fits.index[~fits][0]
    what = "empty" if pd.isna(ids[n]) else f"'{short(ids[n])}' is not an id of layer '{spec.name}'"
    raise InvalidInput(f"{what} ({spec.prefix}-NNNNNN) though other rows' ids are",
                       where=f"{unit} {n}", column="id")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
