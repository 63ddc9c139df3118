"""Planning: unit costs for renewal, residential groups, programme targets (issue: planning and finance roll-ups).

Adds the ``residential_groups`` layer (thôn / tổ dân phố within each ward), ``trees.last_inspected``
(tree inspections due), and the planning tables ``unit_costs``, ``planning_targets`` and
``planning_parameters``, seeded with defaults marked as assumptions
(written out below). Every new table gets the data-version trigger.

Revision ID: 0007
Revises: 0006

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry

revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW_TABLES = ('residential_groups', 'unit_costs', 'planning_targets', 'planning_parameters')

# The seed, written out here: a migration must give the same rows whenever it runs, so it imports
# nothing that may change later (new defaults belong in a new migration). Every row an assumption.
PRICE_NOTE = ("assumption: order-of-magnitude supply-and-install price for a Vietnamese town "
              "(2024-2025), not from a published price list; service life from engineering "
              "judgement (typical design lives), not from a published table; replace both with the "
              "province's unit-price book (đơn giá) and asset register")
# layer, material, unit, cost_vnd, service_life_y, what. Units: m = per metre of length, m2 = per
# m² (roads: length × width_m, 7 m when a road has no width), m_per_100mm = per metre per 100 mm of
# diameter_mm (150 mm when a pipe has none), each = per asset.
UNIT_COSTS = [
    ("water_pipes", "*", "m_per_100mm", 1_300_000, 50,
     "water main renewal, any material (2,000,000 VND/m at DN150)"),
    ("water_pipes", "HDPE", "m_per_100mm", 1_000_000, 50,
     "HDPE main laid in a trench (1,500,000 VND/m at DN150)"),
    ("water_pipes", "PVC", "m_per_100mm", 800_000, 40, "uPVC main (1,200,000 VND/m at DN150)"),
    ("water_pipes", "DI", "m_per_100mm", 1_550_000, 80,
     "ductile iron main (3,500,000 VND/m at DN225)"),
    ("water_pipes", "CI", "m_per_100mm", 1_550_000, 60,
     "grey cast iron main, renewed in DI (3,500,000 VND/m at DN225)"),
    ("water_pipes", "steel", "m_per_100mm", 2_000_000, 40, "steel main (3,000,000 VND/m at DN150)"),
    ("water_pipes", "AC", "m_per_100mm", 1_300_000, 40,
     "asbestos-cement main, renewed in HDPE (2,000,000 VND/m at DN150)"),
    ("water_valves", "*", "each", 15_000_000, 40, "gate valve DN100-200 with chamber"),
    ("water_pumps", "*", "each", 300_000_000, 20, "booster pump set 50-100 kW with controls"),
    ("hydrants", "*", "each", 20_000_000, 40, "pillar hydrant"),
    ("drainage_pipes", "*", "m_per_100mm", 500_000, 50,
     "reinforced-concrete drain (4,000,000 VND/m at D800)"),
    ("manholes", "*", "each", 15_000_000, 50, "manhole chamber and cover"),
    ("luminaires", "*", "each", 8_000_000, 20, "luminaire renewed as an LED street light"),
    ("luminaires", "LED", "each", 8_000_000, 15,
     "LED street light 60-150 W supplied and fitted (LED life ~50,000-60,000 h)"),
    ("luminaires", "HPS", "each", 8_000_000, 20, "HPS luminaire renewed as an LED one"),
    ("poles", "*", "each", 12_000_000, 40, "8-10 m steel lighting pole with foundation"),
    ("poles", "concrete", "each", 10_000_000, 50, "centrifugal concrete pole"),
    ("power_lines", "*", "m", 800_000, 40, "LV/MV line renewal"),
    ("power_lines", "overhead", "m", 600_000, 40, "overhead ABC/bare conductor line"),
    ("power_lines", "underground", "m", 2_000_000, 30, "XLPE cable laid in a trench"),
    ("transformers", "*", "each", 400_000_000, 30, "22/0.4 kV 250-400 kVA transformer"),
    ("power_switches", "*", "each", 50_000_000, 25, "MV load-break switch or recloser"),
    ("fibre_cables", "*", "m", 60_000, 25, "fibre cable 12-96 cores laid or strung"),
    ("ducts", "*", "m", 500_000, 50, "HDPE duct bank in a trench"),
    ("telecom_cabinets", "*", "each", 30_000_000, 20, "street fibre cabinet"),
    ("splitters", "*", "each", 1_000_000, 20, "PLC splitter"),
    ("customer_terminals", "*", "each", 1_500_000, 8, "ONT"),
    ("cameras", "*", "each", 25_000_000, 8, "IP camera with bracket"),
    ("sensors", "*", "each", 10_000_000, 10, "field sensor with telemetry"),
    ("roads", "*", "m2", 200_000, 15, "asphalt resurfacing of the carriageway"),
    ("roads", "concrete", "m2", 350_000, 30, "concrete carriageway slab renewal"),
    ("trees", "*", "each", 150_000, 2,
     "one visual safety inspection of a street tree; service_life_y = inspection interval"),
]
TARGETS = [
    ("fibre_households", 0.8, False, "programme target: fibre to more than 80 % of households"),
    ("fibre_groups", 1.0, False, "programme target: fibre to every village / residential group"),
    ("camera_junctions", 0.5, True,
     "assumption: half of the road junctions within a camera's view; no programme figure"),
    ("lamps_working", 0.95, True,
     "assumption: 95 % of the street lights working at any time; no programme figure"),
]
PARAMETERS = [
    ("tariff_vnd_per_kwh", 2204.0, "VND/kWh",
     "assumption: EVN's average retail electricity price from 10 May 2025 (2,204.07 VND/kWh, "
     "Decision 1279/QĐ-BCT); the public-lighting band of the city's contract may differ"),
    ("co2_kg_per_kwh", 0.6592, "kg CO2/kWh",
     "assumption: Viet Nam's grid emission factor for 2023, 0.6592 tCO2/MWh, announced by "
     "MONRE's Department of Climate Change in 2024; use the latest announced figure"),
]


def upgrade() -> None:
    op.add_column('trees', sa.Column('last_inspected', sa.Date(), nullable=True,
                                     comment='date of the last safety inspection of the tree'))
    op.create_geospatial_table('residential_groups',
    sa.Column('id', sa.Text(), nullable=False, comment='ward code and number, e.g. 07201-TDP03'),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=True, comment='Tổ dân phố (in a ward) or Thôn (in a commune)'),
    sa.Column('ward_code', sa.Text(), nullable=True, comment='GSO code of the ward it lies in (from its point on surface)'),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residential_groups')),
    comment='Residential groups (thôn, tổ dân phố) within each ward: the programme counts fibre by them'
    )
    # create_geospatial_table drops the table's comment: set it on its own
    op.execute("COMMENT ON TABLE residential_groups IS 'Residential groups (thôn, tổ dân phố) "
               "within each ward: the programme counts fibre by them'")
    op.create_geospatial_index('idx_residential_groups_geom', 'residential_groups', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_residential_groups_ward_code', 'residential_groups', ['ward_code'], unique=False)
    unit_costs = op.create_table('unit_costs',
    sa.Column('layer', sa.Text(), nullable=False, comment='layer (table) the cost applies to'),
    sa.Column('material', sa.Text(), nullable=False, comment="value of the layer's material column, or * for any"),
    sa.Column('unit', sa.Text(), nullable=False, comment='m (per metre), m2 (per m² of length × width), m_per_100mm (per metre per 100 mm of diameter) or each'),
    sa.Column('cost_vnd', sa.Float(), nullable=False, comment='renewal cost per unit (VND)'),
    sa.Column('service_life_y', sa.Integer(), nullable=False, comment='service life (years); for trees the inspection interval'),
    sa.Column('assumption', sa.Boolean(), server_default='true', nullable=False, comment='a default not yet confirmed by the user'),
    sa.Column('note', sa.Text(), nullable=True, comment='what the figure is and where it comes from'),
    sa.CheckConstraint("unit IN ('m', 'm2', 'm_per_100mm', 'each')", name=op.f('ck_unit_costs_unit_valid')),
    sa.CheckConstraint('cost_vnd >= 0', name=op.f('ck_unit_costs_cost_vnd_not_negative')),
    sa.CheckConstraint('service_life_y > 0', name=op.f('ck_unit_costs_service_life_y_positive')),
    sa.PrimaryKeyConstraint('layer', 'material', name=op.f('pk_unit_costs')),
    comment='Renewal unit costs and service lives by layer and material (VND)'
    )
    targets = op.create_table('planning_targets',
    sa.Column('metric', sa.Text(), nullable=False, comment='programme metric'),
    sa.Column('target', sa.Float(), nullable=False, comment='target share (0..1)'),
    sa.Column('assumption', sa.Boolean(), server_default='true', nullable=False, comment='a default not yet confirmed by the user'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('target >= 0 AND target <= 1', name=op.f('ck_planning_targets_target_share')),
    sa.PrimaryKeyConstraint('metric', name=op.f('pk_planning_targets')),
    comment='Programme targets per metric, as shares'
    )
    parameters = op.create_table('planning_parameters',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('assumption', sa.Boolean(), server_default='true', nullable=False, comment='a default not yet confirmed by the user'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('value >= 0', name=op.f('ck_planning_parameters_value_not_negative')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_planning_parameters')),
    comment='Figures the planning roll-ups use: electricity tariff, grid emission factor'
    )
    op.bulk_insert(unit_costs, [
        {'layer': layer, 'material': material, 'unit': unit, 'cost_vnd': cost, 'service_life_y': life,
         'assumption': True, 'note': f'{what}; {PRICE_NOTE}'}
        for layer, material, unit, cost, life, what in UNIT_COSTS])
    op.bulk_insert(targets, [{'metric': m, 'target': t, 'assumption': a, 'note': n}
                             for m, t, a, n in TARGETS])
    op.bulk_insert(parameters, [{'name': n, 'value': v, 'unit': u, 'assumption': True, 'note': note}
                                for n, v, u, note in PARAMETERS])
    for table in NEW_TABLES:
        op.execute(f'CREATE TRIGGER twin_track_changes AFTER INSERT OR UPDATE OR DELETE OR '
                   f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION twin_track_changes()')


def downgrade() -> None:
    op.drop_table('planning_parameters')
    op.drop_table('planning_targets')
    op.drop_table('unit_costs')
    op.drop_index('ix_residential_groups_ward_code', table_name='residential_groups')
    op.drop_geospatial_index('idx_residential_groups_geom', table_name='residential_groups', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('residential_groups')
    op.drop_column('trees', 'last_inspected')
