"""What the twin knows about a layer besides its table: id prefix, geometry, network role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table


@dataclass(frozen=True)
class LayerSpec:
    """One infrastructure layer. ``name`` is its table, its API collection id and its stats key."""

    table: Table
    prefix: str | None
    """Asset id prefix (``LUM``); None for administrative areas, whose ids are GSO codes."""
    geometry_type: str
    """OGC geometry type of every row: Point, LineString or MultiPolygon."""
    title: str
    network: str | None = None
    """The network its assets belong to: power, water, drainage, telecom or road."""

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def is_asset(self) -> bool:
        return self.prefix is not None
