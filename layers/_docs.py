"""The data-model page (docs/data-model.md), written from the tables themselves so it stays true.

Regenerate with ``python -m layers._docs > docs/data-model.md``; a test fails when it is stale.
"""

from __future__ import annotations

from sqlalchemy import Table

from layers import LAYERS, TOPOLOGY_TABLES

INTRO = """# The data model

Every table is in PostGIS, geometry in EPSG:4326 (`geom`, with a GiST index). Heights and depths
are attributes in metres (`_m`), angles in degrees (`_deg`). Every asset has a stable id shown to
users (`LUM-000123`), the ward it lies in (`ward_code`, assigned from its point, a line's midpoint
or a polygon's point on surface, so an asset on a boundary counts in one ward only), where it came
from (`source`, `source_ref`: unique together), `install_year`, `condition` and `attributes` (JSONB
for source fields without a column). The layer name is the table name, the OGC API collection id
and the key in `twin stats --json`.

This page is generated from the schema (`python -m layers._docs > docs/data-model.md`).

## Networks

Each network is rows of `network_nodes` and `network_edges`; an edge's `asset_id` is the pipe,
line, cable, road segment or device (valve, switch, transformer, pump) that makes the link, and
`normally_connected` is false for a closed valve or an open switch (normally-open ties included).
Sources are flagged on nodes: substations (power), water sources and tanks (water), central
offices (telecom), outfalls (drainage: where water leaves). `dependencies` link an asset of one
network to the node of another that it needs (power, telecom), with backup hours.

```mermaid
flowchart LR
  SUB[substations] -->|MV power_lines, power_switches| TR[transformers]
  TR -->|LV power_lines| SP[service_points]
  TR -.->|dependencies: power| LUM[luminaires] & CAM[cameras] & PUMP[water_pumps] & CAB[telecom_cabinets]
  WS[water_sources] -->|water_pipes, water_valves, water_pumps| WJ[water_junctions]
  WJ --> WSC[water_service_connections] & HYD[hydrants]
  CO[central_offices] -->|fibre_cables| CAB
  CAB -->|splitters| ONT[customer_terminals]
  CAB -.->|dependencies: telecom| CAM & SEN[sensors]
  MH[manholes] -->|drainage_pipes| OUT[outfalls]
```
"""


def _table_section(table: Table, title: str, extra: str = "") -> str:
    lines = [f"### `{table.name}`: {title}", "", f"{table.comment or ''}{extra}", "",
             "| column | type | null | meaning |", "|---|---|---|---|"]
    for column in table.columns:
        kind = str(column.type).split("(")[0].lower()
        if column.name == "geom":
            kind = f"geometry({column.type.geometry_type.title()}, 4326)"  # type: ignore[attr-defined]
        comment = (column.comment or "").replace("|", "\\|")
        lines.append(f"| {column.name} | {kind} | {'yes' if column.nullable else 'no'} | {comment} |")
    return "\n".join(lines) + "\n"


def data_model_markdown() -> str:
    parts = [INTRO, "## Layers\n"]
    for spec in LAYERS.values():
        where = f" Network: {spec.network}." if spec.network else ""
        ids = f" Ids: `{spec.prefix}-NNNNNN`." if spec.prefix else ""
        parts.append(_table_section(spec.table, spec.title, f"{where}{ids}"))
    parts.append("## Topology\n")
    for table in TOPOLOGY_TABLES:
        parts.append(_table_section(table, table.name.replace("_", " ")))
    return "\n".join(parts)


if __name__ == "__main__":
    print(data_model_markdown(), end="")
