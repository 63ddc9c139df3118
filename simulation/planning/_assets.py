"""One relation over every asset layer of the registry, as the roll-ups read it: a ``UNION ALL``
of each layer's rows with its layer name, ward and district, length (m) or area (m²), install
year, condition and material. Identifiers come from ``layers.LAYERS`` only; values are bound."""

from __future__ import annotations

from datetime import date

from layers import LAYERS, LayerSpec

MATERIAL_COLUMNS: dict[str, str] = {
    "water_pipes": "material", "drainage_pipes": "material", "ducts": "material",
    "poles": "material", "luminaires": "lamp_type", "power_lines": "construction",
    "fibre_cables": "construction", "roads": "surface", "trees": "species",
    "buildings": "use", "water_valves": "valve_type", "hydrants": "hydrant_type",
    "power_switches": "switch_type", "transformers": "mounting", "cameras": "camera_type",
    "telecom_cabinets": "cabinet_type", "customer_terminals": "service",
    "water_sources": "source_type", "water_pumps": "pump_type", "manholes": "cover_type",
    "sensors": "measures",
}
"""Each layer's material-like column: what renewal costs and the materials roll-up key on."""
UNKNOWN = "unknown"


def asset_layers() -> list[LayerSpec]:
    """The asset layers (those with an id prefix), in registry order."""
    return [spec for spec in LAYERS.values() if spec.is_asset]


def material_column(spec: LayerSpec) -> str | None:
    column = MATERIAL_COLUMNS.get(spec.name)
    return column if column is not None and column in spec.table.c else None


def _part(spec: LayerSpec, ward_filter: bool) -> str:
    table = spec.table
    kind = spec.geometry_type
    length = "ST_Length(a.geom::geography)" if kind == "LineString" else "NULL::float8"
    area = "ST_Area(a.geom::geography)" if kind == "MultiPolygon" else "NULL::float8"
    year = "a.install_year"
    if "planted_date" in table.c:
        year = "coalesce(a.install_year, extract(year FROM a.planted_date)::int)"
    column = material_column(spec)
    material = f"coalesce(a.\"{column}\"::text, '{UNKNOWN}')" if column else f"'{UNKNOWN}'"
    where = " WHERE a.ward_code = :ward" if ward_filter else ""
    width = "a.width_m" if "width_m" in table.c else "NULL::float8"
    diameter = "a.diameter_mm" if "diameter_mm" in table.c else "NULL::float8"
    return (f"SELECT '{spec.name}'::text AS layer, a.id, a.ward_code, {length} AS length_m, "
            f"{area} AS area_m2, {year} AS install_year, a.condition, {material} AS material, "
            f'{width}::float8 AS width_m, {diameter}::float8 AS diameter_mm FROM "{table.name}" a{where}')


def assets_sql(ward_filter: bool = False, specs: list[LayerSpec] | None = None) -> str:
    """``SELECT layer, id, ward_code, district_code, length_m, area_m2, install_year, condition,
    material, width_m, diameter_mm`` over every asset layer (``:ward`` bound when ``ward_filter``)."""
    parts = "\nUNION ALL\n".join(_part(s, ward_filter) for s in specs or asset_layers())
    return (f"SELECT x.*, w.district_code FROM ({parts}) x "
            "LEFT JOIN wards w ON w.id = x.ward_code")


def current_year() -> int:
    return date.today().year
