"""job_schedules: an administrator's schedule per job, replacing the default of integrations.scheduler.JOBS

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 11:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_schedules',
    sa.Column('job_id', sa.String(length=100), nullable=False),
    sa.Column('cron', sa.String(length=100), nullable=False),
    sa.Column('business_days_only', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_schedules'))
    )


def downgrade():
    op.drop_table('job_schedules')
