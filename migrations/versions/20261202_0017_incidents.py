"""incidents: a case stopped at a failing service task, script or decision, until retried, skipped or cancelled; case_tasks.opened_at, escalated_at

``case_tasks.opened_at``: when a worker of the task's section first opened it (handling time starts there).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 20:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_uuid', sa.String(length=36), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('element_name', sa.String(length=200), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('skippable', sa.Boolean(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.Column('resolution', sa.String(length=16), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_incidents_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    )
    op.create_index(op.f('ix_incidents_case_id'), 'incidents', ['case_id'], unique=False)
    op.create_index('ix_incidents_state_since', 'incidents', ['state', 'since'], unique=False)
    with op.batch_alter_table('case_tasks') as batch:
        batch.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('case_tasks') as batch:
        batch.drop_column('escalated_at')
        batch.drop_column('opened_at')
    op.drop_index('ix_incidents_state_since', table_name='incidents')
    op.drop_index(op.f('ix_incidents_case_id'), table_name='incidents')
    op.drop_table('incidents')
