"""What the twin knows about a layer besides its columns: title and network role; its id prefix
and geometry type are read from the table itself (``twin.schema.asset_table`` records them)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from layers._style import LayerStyle

_OGC_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


@dataclass(frozen=True)
class LayerSpec:
    """One infrastructure layer. ``name`` is its table, its API collection id and its stats key."""

    table: Table
    title: str
    network: str | None = None
    """The network its assets belong to: power, water, drainage, telecom or road."""
    style: LayerStyle | None = None
    """How the 3D map and pydeck draw it (``layers._style``)."""

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def prefix(self) -> str | None:
        """Asset id prefix (``LUM``); None for areas whose ids are their own (GSO codes)."""
        return self.table.info.get("prefix")

    @property
    def geometry_type(self) -> str:
        """OGC geometry type of every row: Point, LineString or MultiPolygon."""
        return _OGC_TYPES[self.table.c.geom.type.geometry_type]  # type: ignore[attr-defined]

    @property
    def is_asset(self) -> bool:
        return self.prefix is not None
