"""case_tasks.escalated_at: when a task's being overdue was announced through the alert hook

The job ``tasks.overdue`` (workflows/escalation.py) announces each ready task past its due time once; this
column is how it knows it already did.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_tasks') as batch:
        batch.add_column(sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('case_tasks') as batch:
        batch.drop_column('escalated_at')
