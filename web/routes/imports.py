"""``POST /api/imports/{kind}``: an admin uploads a GIS file, an OpenStreetMap extract or an EPANET
model, and the twin imports it as ``twin import file|osm|epanet`` does, all or nothing.

The upload is checked before any importer opens it (``web.uploads``: size, extension, first
bytes, zip members), read by the same importer as the command line, and written in one
transaction that also records the import in the audit log. The answer says what was written.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from ingest._load import AssignIds, write_import
from ingest.epanet import assign_ids, read_epanet
from ingest.files import parse_mapping, read_gis_file
from ingest.osm import read_osm, with_ids
from twin.audit import import_recorder
from twin.errors import InvalidInput
from twin.write import Dataset
from web.auth import Permission, Principal, requires
from web.deps import EngineDep
from web.uploads import Upload, checked_upload, private_folder

router = APIRouter(prefix="/api/imports", tags=["Imports"])


class ImportKind(StrEnum):
    file = "file"
    osm = "osm"
    epanet = "epanet"


OPTIONS = {"layer": {"file"}, "map": {"file"}, "file_layer": {"file"}, "crs": {"file", "epanet"}}
"""Which kinds of import take each form option (as the command line's options)."""


@router.post("/{kind}", summary="Import an uploaded file (as twin import file|osm|epanet), all "
                                "or nothing")
def import_upload(  # noqa: PLR0913 (the command line's options, one form field each)
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="file: .gpkg, .geojson, .json, .csv or a "
                                                 "zipped Shapefile; osm: .osm.pbf or .osm; "
                                                 "epanet: .inp")],
    principal: Annotated[Principal, requires(Permission.IMPORT)],
    engine: EngineDep,
    request: Request,
    layer: Annotated[str | None, Form(description="file: the layer to import into")] = None,
    crs: Annotated[str | None, Form(description="file, epanet: CRS of a file that has none")]
    = None,
    map_: Annotated[list[str] | None, Form(alias="map", description="file: column=field renames")]
    = None,
    file_layer: Annotated[str | None, Form(description="file: the layer inside a GeoPackage")]
    = None,
) -> dict[str, Any]:
    given = {"layer": layer, "crs": crs, "map": map_ or None, "file_layer": file_layer}
    misplaced = [o for o, v in given.items() if v is not None and kind.value not in OPTIONS[o]]
    if misplaced:
        raise InvalidInput(f"'{misplaced[0]}' is not an option of {kind.value} imports")
    if kind is ImportKind.file and not layer:
        raise InvalidInput("a file import needs 'layer': the layer to import into")
    cap = request.app.state.settings.max_upload_bytes
    with private_folder() as folder:
        name = file.filename or ""
        try:
            upload = checked_upload(kind.value, file.filename, file.file, folder, cap)
            name = upload.name
            dataset, assign = _read(kind, upload, given)
            notes = list(dataset.notes)
            options = {k: v for k, v in given.items() if v is not None}
            audit = import_recorder(principal.name, kind.value, upload.name, options)
            written = write_import(engine, dataset, upload.name, assign, on_written=audit)
        except InvalidInput as exc:
            raise _without_paths(exc, folder, name) from None
    return {"kind": kind.value, "file": upload.name, "written": written,
            "rows": sum(written.values()), "notes": notes}


def _read(kind: ImportKind, upload: Upload, given: dict[str, Any]
          ) -> tuple[Dataset, AssignIds | None]:
    """The importer's dataset (nothing written) and how it gives ids in the transaction."""
    if kind is ImportKind.file:
        return read_gis_file(upload.path, layer=given["layer"], crs=given["crs"],
                             mapping=parse_mapping(given["map"] or []),
                             file_layer=given["file_layer"], name=upload.name), None
    if kind is ImportKind.osm:
        return read_osm(upload.path), with_ids
    return read_epanet(upload.path, crs=given["crs"], name=upload.name), assign_ids


def _without_paths(exc: InvalidInput, folder: Path, name: str) -> InvalidInput:
    """The refusal naming the client's file, never where the server keeps it."""
    rule = re.sub(re.escape(str(folder)) + r"/[\w.]*", name or "the upload", exc.rule)
    return InvalidInput(rule, source=name or None, where=exc.where, column=exc.column)
