"""The planning tables: unit costs for renewal, programme targets and the energy parameters
(tariff, grid emission factor). Each row says whether it is still an assumption, and why."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Float, Integer, Table, Text

from twin.schema import metadata, one_of

UNITS = ("m", "m2", "m_per_100mm", "each")
"""How a unit cost is multiplied: metres of length, m² (length × width_m), metres × diameter_mm /
100, or assets."""

unit_costs_table = Table(
    "unit_costs",
    metadata,
    Column("layer", Text, primary_key=True, comment="layer (table) the cost applies to"),
    Column("material", Text, primary_key=True,
           comment="value of the layer's material column, or * for any"),
    Column("unit", Text, nullable=False,
           comment="m (per metre), m2 (per m² of length × width), m_per_100mm (per metre per "
                   "100 mm of diameter) or each"),
    Column("cost_vnd", Float, nullable=False, comment="renewal cost per unit (VND)"),
    Column("service_life_y", Integer, nullable=False,
           comment="service life (years); for trees the inspection interval"),
    Column("assumption", Boolean, nullable=False, server_default="true",
           comment="a default not yet confirmed by the user"),
    Column("note", Text, comment="what the figure is and where it comes from"),
    one_of("unit", UNITS),
    CheckConstraint("cost_vnd >= 0", name="cost_vnd_not_negative"),
    CheckConstraint("service_life_y > 0", name="service_life_y_positive"),
    comment="Renewal unit costs and service lives by layer and material (VND)",
)

planning_targets = Table(
    "planning_targets",
    metadata,
    Column("metric", Text, primary_key=True, comment="programme metric"),
    Column("target", Float, nullable=False, comment="target share (0..1)"),
    Column("assumption", Boolean, nullable=False, server_default="true",
           comment="a default not yet confirmed by the user"),
    Column("note", Text),
    CheckConstraint("target >= 0 AND target <= 1", name="target_share"),
    comment="Programme targets per metric, as shares",
)

planning_parameters = Table(
    "planning_parameters",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Float, nullable=False),
    Column("unit", Text, nullable=False),
    Column("assumption", Boolean, nullable=False, server_default="true",
           comment="a default not yet confirmed by the user"),
    Column("note", Text),
    CheckConstraint("value >= 0", name="value_not_negative"),
    comment="Figures the planning roll-ups use: electricity tariff, grid emission factor",
)
