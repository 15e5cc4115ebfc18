"""scheduler jobs: drop the stored APScheduler jobs pickled under the old module paths

The scheduler became a package: its entry point moved from ``integrations.scheduler:run_scheduled`` to
``integrations.scheduler.process:run_scheduled`` and the business-day trigger from ``integrations.schedules`` to
``integrations.scheduler.schedules``. APScheduler's job store pickles both by module path, so rows written before
the move cannot be loaded after it. As in 0011, the rows are only a cache of the job list: the scheduler writes
them again when it starts (``sync_jobs``); one coalesced catch-up run of a job missed during the upgrade is lost.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM apscheduler_jobs")


def downgrade():
    op.execute("DELETE FROM apscheduler_jobs")  # pickled under the new paths: the old code could not load them
