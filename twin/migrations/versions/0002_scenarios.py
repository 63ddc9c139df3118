"""Scenarios: simulation results kept under a name.

Revision ID: 0002
Revises: 0001

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('scenarios',
    sa.Column('name', sa.Text(), nullable=False, comment='name the user gave the scenario'),
    sa.Column('kind', sa.Text(), nullable=False, comment='the simulation that made it: outage, lighting, ...'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('parameters', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='what the simulation was asked'),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='what it answered, as its own JSON'),
    sa.CheckConstraint('length(name) BETWEEN 1 AND 200', name=op.f('ck_scenarios_name_length')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scenarios')),
    comment='Simulation results kept under a name'
    )


def downgrade() -> None:
    op.drop_table('scenarios')
