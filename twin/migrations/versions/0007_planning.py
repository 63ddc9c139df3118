"""Planning: unit costs for renewal, residential groups, programme targets (issue: planning and finance roll-ups).

Adds the ``residential_groups`` layer (thôn / tổ dân phố within each ward), ``trees.last_inspected``
(tree inspections due), and the planning tables ``unit_costs``, ``planning_targets`` and
``planning_parameters``, seeded with defaults marked as assumptions
(``simulation.planning.defaults``). Every new table gets the data-version trigger.

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

# the seed, as it stood when this migration was written
from simulation.planning.defaults import PARAMETERS, PRICE_NOTE, TARGETS, UNIT_COSTS  # noqa: E402


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
    sa.Column('unit', sa.Text(), nullable=False, comment='m (per metre of length) or each'),
    sa.Column('cost_vnd', sa.Float(), nullable=False, comment='renewal cost per unit (VND)'),
    sa.Column('service_life_y', sa.Integer(), nullable=False, comment='service life (years); for trees the inspection interval'),
    sa.Column('assumption', sa.Boolean(), server_default='true', nullable=False, comment='a default not yet confirmed by the user'),
    sa.Column('note', sa.Text(), nullable=True, comment='what the figure is and where it comes from'),
    sa.CheckConstraint("unit IN ('m', 'each')", name=op.f('ck_unit_costs_unit_valid')),
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
