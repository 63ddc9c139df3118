"""Users, roles, API tokens, device credentials and the audit log (issue: who may do what).

Revision ID: 0006
Revises: 0005

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRACKED = ('users', 'device_credentials')
"""The new tables with a data version (twin.changes); audit_log and api_tokens are UNTRACKED."""
SENT_BY = ('live_history', 'live_dead_letters')
"""Live tables that keep the credential a message came with (twin.live.tables)."""
APPEND_ONLY = """
CREATE FUNCTION twin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % of audit_log refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER twin_audit_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION twin_audit_append_only();
CREATE TRIGGER twin_audit_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION twin_audit_append_only();
"""


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False, comment='when the writing transaction began'),
    sa.Column('actor', sa.Text(), nullable=False, comment='user name, or cli:<os user> for the command line'),
    sa.Column('role', sa.Text(), nullable=True, comment="the actor's role at the time, when the actor is a user"),
    sa.Column('action', sa.Text(), nullable=False, comment='what was done: asset.edit, incident.acknowledge, user.create, import.file, ...'),
    sa.Column('table_name', sa.Text(), nullable=True, comment='the table written, when one'),
    sa.Column('target', sa.Text(), nullable=True, comment='the row written (its id or name), when one'),
    sa.Column('before', postgresql.JSONB(astext_type=Text()), nullable=True, comment='the values the write changed, before it'),
    sa.Column('after', postgresql.JSONB(astext_type=Text()), nullable=True, comment='the same values after it'),
    sa.Column('detail', postgresql.JSONB(astext_type=Text()), nullable=True, comment='anything else: the file imported, the counts, a note'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    comment='Every write through the API or the CLI: who, what, when, before and after'
    )
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor', 'at'], unique=False)
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_table_name_target', 'audit_log', ['table_name', 'target'], unique=False)
    op.execute(APPEND_ONLY)
    for table in SENT_BY:
        op.add_column(table, sa.Column('sent_by', sa.Text(), nullable=True, comment='the device credential that sent it (HTTP ingest); NULL over MQTT, whose broker does not say'))
    op.create_table('device_credentials',
    sa.Column('name', sa.Text(), nullable=False, comment='the device or gateway; its MQTT user name'),
    sa.Column('key_hash', sa.Text(), nullable=False, comment='SHA-256 hex of the key (HTTP)'),
    sa.Column('mqtt_hash', sa.Text(), nullable=False, comment="the same key in mosquitto 2's password-file format ($7$, PBKDF2-HMAC-SHA512)"),
    sa.Column('topics', postgresql.ARRAY(Text()), nullable=False, comment='MQTT topics it may publish (+ and # wildcards)'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('cardinality(topics) > 0', name=op.f('ck_device_credentials_has_topics')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_device_credentials')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_device_credentials_key_hash')),
    comment='Keys of the devices and gateways that send live data'
    )
    op.create_table('users',
    sa.Column('name', sa.Text(), nullable=False, comment='login name'),
    sa.Column('role', sa.Text(), nullable=False, comment='viewer, engineer, operator or admin'),
    sa.Column('networks', postgresql.ARRAY(Text()), server_default=sa.text("'{}'::text[]"), nullable=False, comment='the networks an engineer may edit: power, water, drainage, telecom, road'),
    sa.Column('password_hash', sa.Text(), nullable=False, comment='argon2id (PHC string); never the password'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True, comment='set: the user can no longer sign in'),
    sa.CheckConstraint("role IN ('viewer', 'engineer', 'operator', 'admin')", name=op.f('ck_users_role_valid')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_users')),
    comment='People who sign in, with their role'
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('user_name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False, comment='token (API, long-lived) or session (browser, 12 h)'),
    sa.Column('label', sa.Text(), nullable=False, comment='what the token is for'),
    sa.Column('token_hash', sa.Text(), nullable=False, comment='SHA-256 hex of the secret'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True, comment='NULL: until revoked'),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True, comment='when a server last looked it up (at most once per cache period)'),
    sa.CheckConstraint("kind IN ('token', 'session')", name=op.f('ck_api_tokens_kind_valid')),
    sa.ForeignKeyConstraint(['user_name'], ['users.name'], name=op.f('fk_api_tokens_user_name_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    comment='API tokens and browser sessions of users, as hashes of their secrets'
    )
    op.create_index(op.f('ix_api_tokens_user_name'), 'api_tokens', ['user_name'], unique=False)
    for table in TRACKED:  # as migration 0004 does for every table
        op.execute(f'CREATE TRIGGER twin_track_changes AFTER INSERT OR UPDATE OR DELETE OR '
                   f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION twin_track_changes()')


def downgrade() -> None:
    op.drop_index(op.f('ix_api_tokens_user_name'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('device_credentials')
    op.drop_index('ix_audit_log_table_name_target', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    for table in SENT_BY:
        op.drop_column(table, 'sent_by')
    op.execute('DROP TRIGGER twin_audit_no_truncate ON audit_log')
    op.execute('DROP TRIGGER twin_audit_append_only ON audit_log')
    op.execute('DROP FUNCTION twin_audit_append_only()')
    op.drop_table('audit_log')
