"""Data versions: a statement trigger on every table bumps its version and notifies 'twin_data'.

Revision ID: 0004
Revises: 0003

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UNTRACKED = ('data_versions', 'live_current', 'live_history', 'live_dead_letters', 'incidents',
             'alembic_version', 'spatial_ref_sys')

FUNCTION = """
CREATE FUNCTION twin_track_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO data_versions AS v (table_name, version, changed_at)
    VALUES (TG_TABLE_NAME, 1, clock_timestamp())
    ON CONFLICT (table_name) DO UPDATE SET version = v.version + 1, changed_at = clock_timestamp();
    PERFORM pg_notify('twin_data', TG_TABLE_NAME);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table('data_versions',
    sa.Column('table_name', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False, comment='statements that wrote to the table, committed, since tracking began'),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False, comment="when the last write's statement ran"),
    sa.PrimaryKeyConstraint('table_name', name=op.f('pk_data_versions')),
    comment='One row per table of the twin, bumped by a statement trigger on every write'
    )
    op.execute(FUNCTION)
    tables = op.get_bind().execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND NOT tablename = ANY(:untracked) ORDER BY tablename"),
        {"untracked": list(UNTRACKED)}).scalars().all()
    for table in tables:
        op.execute(f'CREATE TRIGGER twin_track_changes AFTER INSERT OR UPDATE OR DELETE OR '
                   f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION twin_track_changes()')


def downgrade() -> None:
    op.execute("DROP FUNCTION twin_track_changes() CASCADE")  # and every trigger calling it
    op.drop_table('data_versions')
