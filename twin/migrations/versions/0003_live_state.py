"""Live state: current state and history of observations, dead letters, incidents.

Revision ID: 0003
Revises: 0002

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False, comment='luminaire_off_at_night, camera_offline, pressure_drop, no_voltage, accident, flooding, fire, or any kind given by hand'),
    sa.Column('status', sa.Text(), server_default='open', nullable=False),
    sa.Column('raised_by', sa.Text(), nullable=False, comment='rule, camera or hand'),
    sa.Column('raised_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('asset_ids', postgresql.ARRAY(sa.Text()), nullable=False, comment='the assets involved'),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False, comment="the rule's figures, the camera's confidence and snapshot, what the failed asset takes down (outage simulation)"),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True, comment='where, when known (EPSG:4326)'),
    sa.Column('rule_key', sa.Text(), nullable=True, comment='what a rule watches (kind:asset); one open incident per key'),
    sa.Column('acknowledged_by', sa.Text(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False, comment='[{who, at, text}] in order'),
    sa.CheckConstraint("raised_by IN ('rule', 'camera', 'hand')", name=op.f('ck_incidents_raised_by_valid')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_incidents_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    # create_geospatial_table drops the table comment: set it on its own
    op.create_table_comment('incidents', 'Incidents raised by rules, cameras or by hand, and who is on them')
    op.create_index('ix_incidents_asset_ids', 'incidents', ['asset_ids'], unique=False, postgresql_using='gin')
    op.create_index('ix_incidents_status', 'incidents', ['status'], unique=False)
    op.create_index('uq_incidents_open_rule_key', 'incidents', ['rule_key'], unique=True, postgresql_where=sa.text("status <> 'resolved' AND rule_key IS NOT NULL"))
    op.create_table('live_current',
    sa.Column('asset_id', sa.Text(), nullable=False, comment='the asset observed (any layer)'),
    sa.Column('property', sa.Text(), nullable=False, comment='observed property: pressure, voltage, state, illuminance_level, ...'),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False, comment='when the device observed it (SensorThings phenomenonTime)'),
    sa.Column('value', sa.Float(), nullable=True, comment="numeric result, in the property's unit"),
    sa.Column('value_text', sa.Text(), nullable=True, comment='text result (device states: open, closed, on, off, ...)'),
    sa.Column('unit', sa.Text(), nullable=True, comment='UCUM unit of value: kPa, V, kW, 1, ...'),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False, comment='when the twin committed it'),
    sa.CheckConstraint('(value IS NULL) <> (value_text IS NULL)', name=op.f('ck_live_current_one_result')),
    sa.PrimaryKeyConstraint('asset_id', 'property', name=op.f('pk_live_current')),
    comment='The latest observation per asset and property, upserted with each batch'
    )
    op.create_index('ix_live_current_property', 'live_current', ['property', 'asset_id'], unique=False)
    op.create_table('live_dead_letters',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('batch_id', sa.Uuid(), nullable=False, comment='the ingest batch; a batch retried after an unsure commit replaces its own'),
    sa.Column('channel', sa.Text(), nullable=False, comment='mqtt or http'),
    sa.Column('topic', sa.Text(), nullable=True, comment='MQTT topic or HTTP path it came on'),
    sa.Column('item', sa.Integer(), nullable=True, comment='index of the refused entry within the message; NULL when the whole message was refused'),
    sa.Column('reason', sa.Text(), nullable=False, comment='why: bad_json, bad_message, unknown_topic, unknown_asset, unknown_property, wrong_type, out_of_range, future_time'),
    sa.Column('detail', sa.Text(), nullable=False, comment='the fault in words, naming the value'),
    sa.Column('payload', sa.LargeBinary(), nullable=False, comment='the message exactly as received'),
    sa.CheckConstraint("channel IN ('mqtt', 'http')", name=op.f('ck_live_dead_letters_channel_valid')),
    sa.CheckConstraint("reason IN ('bad_json', 'bad_message', 'unknown_topic', 'unknown_asset', 'unknown_property', 'wrong_type', 'out_of_range', 'future_time')", name=op.f('ck_live_dead_letters_reason_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_dead_letters')),
    comment='Messages (or entries of them) the twin could not use, with the reason'
    )
    op.create_index(op.f('ix_live_dead_letters_batch_id'), 'live_dead_letters', ['batch_id'], unique=False)
    op.create_index('ix_live_dead_letters_received_at', 'live_dead_letters', ['received_at'], unique=False)
    op.create_table('live_history',
    sa.Column('asset_id', sa.Text(), nullable=False, comment='the asset observed (any layer)'),
    sa.Column('property', sa.Text(), nullable=False, comment='observed property: pressure, voltage, state, illuminance_level, ...'),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False, comment='when the device observed it (SensorThings phenomenonTime)'),
    sa.Column('value', sa.Float(), nullable=True, comment="numeric result, in the property's unit"),
    sa.Column('value_text', sa.Text(), nullable=True, comment='text result (device states: open, closed, on, off, ...)'),
    sa.Column('unit', sa.Text(), nullable=True, comment='UCUM unit of value: kPa, V, kW, 1, ...'),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False, comment='when the twin committed it'),
    sa.CheckConstraint('(value IS NULL) <> (value_text IS NULL)', name=op.f('ck_live_history_one_result')),
    sa.PrimaryKeyConstraint('asset_id', 'property', 'observed_at', name=op.f('pk_live_history')),
    comment='Every observation the twin accepted, append-only (SensorThings Observations)'
    )
    op.create_index('ix_live_history_observed_at_brin', 'live_history', ['observed_at'], unique=False, postgresql_using='brin')


def downgrade() -> None:
    op.drop_index('ix_live_history_observed_at_brin', table_name='live_history', postgresql_using='brin')
    op.drop_table('live_history')
    op.drop_index('ix_live_dead_letters_received_at', table_name='live_dead_letters')
    op.drop_index(op.f('ix_live_dead_letters_batch_id'), table_name='live_dead_letters')
    op.drop_table('live_dead_letters')
    op.drop_index('ix_live_current_property', table_name='live_current')
    op.drop_table('live_current')
    op.drop_index('uq_incidents_open_rule_key', table_name='incidents', postgresql_where=sa.text("status <> 'resolved' AND rule_key IS NOT NULL"))
    op.drop_index('ix_incidents_status', table_name='incidents')
    op.drop_index('ix_incidents_asset_ids', table_name='incidents', postgresql_using='gin')
    op.drop_geospatial_table('incidents')
