"""Checks on an uploaded file before any importer parses it.

An upload is stored in a private folder (``mkdtemp``: mode 0700) under a generated name
(``upload.<ext>``); the client's file name is only ever a label (messages, ``source_ref``), never
a path. Before an importer opens it:

- its name must end in an extension of its kind (:data:`EXTENSIONS`) and its first bytes must be
  what that extension says (:func:`check_magic`): a GeoPackage is SQLite, GeoJSON is a JSON
  object, a zipped Shapefile is a zip, an ``.osm.pbf`` has an ``OSMHeader`` blob, ``.osm`` is
  XML, an EPANET ``.inp`` and a CSV are text;
- a zip (:func:`unzip_shapefile`) may hold at most :data:`MAX_MEMBERS` members, none with an
  absolute path, a ``..`` part or a symbolic link; at most :data:`MAX_UNZIPPED` bytes once
  unpacked (counted while unpacking, not taken from the zip's directory) and no member more than
  :data:`MAX_RATIO` times its packed size (a zip bomb); exactly one ``.shp`` and its sidecar
  files, which are unpacked under generated names too, neither encrypted nor packed otherwise
  than stored or deflated (:data:`PACKINGS`).

Every refusal is an ``InvalidInput`` naming the file and the rule: the web answers 400 and
nothing is written.
"""

from __future__ import annotations

import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from twin.errors import InvalidInput

EXTENSIONS = {
    "file": (".gpkg", ".geojson", ".json", ".csv", ".zip"),
    "osm": (".osm.pbf", ".osm"),
    "epanet": (".inp",),
}
"""What each kind of import accepts (a Shapefile comes zipped with its sidecar files)."""
MAX_MEMBERS = 64
MAX_UNZIPPED = 2 * 1024**3
"""Bytes a zip may unpack to in all (2 GiB)."""
MAX_RATIO = 500
"""How many times its packed size a zip member may grow when unpacked."""
PACKINGS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""How the members unpacked may be packed: what zip tools write by default (not Deflate64, AES
or the rarer methods Python cannot, or need not, read)."""
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")
"""The files of one Shapefile that are unpacked (anything else in the zip is left packed)."""
HEAD_BYTES = 65536
CHUNK = 1024 * 1024
SAFE_NAME = re.compile(r"[^\w.\- ]+")


@dataclass(frozen=True)
class Upload:
    """A checked upload: the file an importer may open and the name to call it by."""

    path: Path
    name: str


def client_name(filename: str | None) -> str:
    """The client's file name as a label: its last path part, control and odd characters
    replaced, at most 120 characters. Never used as a path."""
    last = re.split(r"[/\\]", filename or "")[-1]
    cleaned = SAFE_NAME.sub("_", last).strip(" .")[:120]
    if not cleaned:
        raise InvalidInput("the upload has no file name: send the file as a multipart form field "
                           "'file' with its name")
    return cleaned


def extension_of(kind: str, name: str) -> str:
    """The accepted extension ``name`` ends in, or InvalidInput listing those of ``kind``."""
    lower = name.lower()
    found = next((e for e in EXTENSIONS[kind] if lower.endswith(e)), None)
    if found is None:
        raise InvalidInput(f"a {kind} import takes {', '.join(EXTENSIONS[kind])} files",
                           source=name)
    return found


@contextmanager
def private_folder() -> Iterator[Path]:
    """A folder only the server's user may enter, removed with everything in it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="twin-upload-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def store(source: BinaryIO, folder: Path, extension: str, cap: int, name: str) -> Path:
    """Copy the upload into ``folder`` as ``upload<extension>``, refusing it past ``cap`` bytes."""
    path = folder / f"upload{extension}"
    written = 0
    with path.open("xb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > cap:
                raise InvalidInput(f"is over the upload limit of {cap:,} bytes", source=name)
            out.write(chunk)
    if written == 0:
        raise InvalidInput("is empty", source=name)
    return path


def check_magic(path: Path, extension: str, name: str) -> None:
    """InvalidInput unless the file's first bytes are what ``extension`` says it is."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    checks = {
        ".gpkg": (head.startswith(b"SQLite format 3\x00"), "a GeoPackage (SQLite) file"),
        ".geojson": (text.startswith(b"{"), "GeoJSON (a JSON object)"),
        ".json": (text.startswith(b"{"), "GeoJSON (a JSON object)"),
        ".zip": (head.startswith(b"PK\x03\x04"), "a zip archive"),
        ".osm.pbf": (b"OSMHeader" in head[:24], "OpenStreetMap PBF (an OSMHeader blob first)"),
        ".osm": (text.startswith(b"<"), "OpenStreetMap XML"),
        ".csv": (_is_text(head), "text (CSV)"),
        ".inp": (_is_text(head) and _epanet_like(text), "an EPANET model (text, [SECTIONS])"),
    }
    ok, what = checks[extension]
    if not ok:
        raise InvalidInput(f"is not {what}: its first bytes say otherwise", source=name)


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # cut in the middle of a character, or Latin-1 text
        if exc.start < len(head) - 3:
            try:
                head.decode("latin-1")
            except UnicodeDecodeError:
                return False
    return True


def _epanet_like(text: bytes) -> bool:
    """The first line that is neither blank nor a ``;`` comment opens a ``[SECTION]``."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(b";"):
            return stripped.startswith(b"[")
    return False


def unzip_shapefile(archive: Path, folder: Path, name: str) -> Upload:
    """The one Shapefile in a zip, unpacked into ``folder`` as ``data.shp`` with its sidecar
    files, after the checks against zip slips, links and bombs; named after its ``.shp``."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise InvalidInput(f"holds {len(members)} files; a zip may hold at most "
                                   f"{MAX_MEMBERS}", source=name)
            seen: set[str] = set()
            for member in members:
                _check_member(member, name)
                if member.filename.lower() in seen:
                    raise InvalidInput(f"holds '{member.filename[:200]}' twice (names compared "
                                       "whatever their case): refused", source=name)
                seen.add(member.filename.lower())
            shp = _the_shapefile(members, name)
            stem = shp.filename[:-len(".shp")].lower()
            unpacked = 0
            for member in members:
                part = next((p for p in SHAPEFILE_PARTS
                             if member.filename.lower() == stem + p), None)
                if part is not None:
                    unpacked = _unpack(zipped, member, folder / f"data{part}", unpacked, name)
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"is not a readable zip archive: {exc}", source=name) from None
    missing = [p for p in (".shx", ".dbf") if not (folder / f"data{p}").exists()]
    if missing:
        raise InvalidInput(f"the Shapefile {PurePosixPath(shp.filename).name} comes without its "
                           f"{' and '.join(missing)} file", source=name)
    return Upload(folder / "data.shp", client_name(PurePosixPath(shp.filename).name))


def _check_member(member: zipfile.ZipInfo, name: str) -> None:
    path = member.filename
    parts = re.split(r"[/\\]", path)
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts \
            or "\x00" in path:
        raise InvalidInput(f"holds '{path[:200]}', a path outside the archive: refused",
                           source=name)
    if stat.S_ISLNK(member.external_attr >> 16):
        raise InvalidInput(f"holds '{path[:200]}', a symbolic link: refused", source=name)
    if member.file_size > MAX_RATIO * max(member.compress_size, 1) and member.file_size > CHUNK:
        raise InvalidInput(f"'{path[:200]}' would grow {member.file_size // max(member.compress_size, 1):,} "
                           f"times when unpacked (at most {MAX_RATIO}): refused as a zip bomb",
                           source=name)


def _the_shapefile(members: list[zipfile.ZipInfo], name: str) -> zipfile.ZipInfo:
    shapefiles = [m for m in members if m.filename.lower().endswith(".shp") and not m.is_dir()]
    if len(shapefiles) != 1:
        raise InvalidInput(f"holds {len(shapefiles)} .shp files; zip exactly one Shapefile with "
                           "its .shx, .dbf and .prj", source=name)
    return shapefiles[0]


def _unpack(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, unpacked: int,
            name: str) -> int:
    """Unpack one member to ``target`` counting its real bytes (a zip's directory may lie);
    returns the bytes unpacked so far in all."""
    path = member.filename[:200]
    if member.flag_bits & 0x1:
        raise InvalidInput(f"'{path}' is encrypted: zip it again without a password", source=name)
    if member.compress_type not in PACKINGS:
        raise InvalidInput(f"'{path}' is packed with compression method {member.compress_type}; "
                           "zip it again stored or deflated (as zip tools do by default)",
                           source=name)
    written = 0
    try:
        with zipped.open(member) as source, target.open("xb") as out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                unpacked += len(chunk)
                if unpacked > MAX_UNZIPPED:
                    raise InvalidInput(f"unpacks to more than {MAX_UNZIPPED:,} bytes: refused as "
                                       "a zip bomb", source=name)
                if written > MAX_RATIO * max(member.compress_size, 1) and written > CHUNK:
                    raise InvalidInput(f"'{path}' grows more than {MAX_RATIO} times when "
                                       "unpacked: refused as a zip bomb", source=name)
                out.write(chunk)
    except (zlib.error, EOFError) as exc:  # a damaged or cut deflate stream
        raise InvalidInput(f"'{path}' cannot be unpacked, its data is damaged: {exc}",
                           source=name) from None
    return unpacked


def checked_upload(kind: str, filename: str | None, source: BinaryIO, folder: Path,
                   cap: int) -> Upload:
    """Store and check an upload of ``kind`` in ``folder``: what an importer may open."""
    name = client_name(filename)
    extension = extension_of(kind, name)
    path = store(source, folder, extension, cap, name)
    check_magic(path, extension, name)
    if extension == ".zip":
        return unzip_shapefile(path, folder, name)
    return Upload(path, name)
