"""scheduler jobs: drop the stored APScheduler jobs pickled under the old module path

The scheduler moved from ``integrations/residents/scheduled.py`` to ``integrations/scheduler.py`` (its business-day
trigger to ``integrations/schedules.py``). APScheduler's
job store pickles each job with its function and trigger class by module path, so rows written before the move
cannot be loaded after it (``lookup_job`` would raise at ``madoguchi scheduler`` start). The rows are only a cache
of :data:`integrations.scheduler.JOBS`: the scheduler writes them again when it starts (``sync_jobs``). What is
lost is one coalesced catch-up run of a job missed while the scheduler was down during the upgrade.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 11:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM apscheduler_jobs")


def downgrade():
    op.execute("DELETE FROM apscheduler_jobs")  # pickled under the new path: the old code could not load them
