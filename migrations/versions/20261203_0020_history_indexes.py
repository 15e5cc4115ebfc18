"""history indexes: the manager's dashboard on five years of finished tasks and cases

``dashboard.section_stats`` reads the ready tasks (``state = 'ready'``) and the tasks completed in a period
(``state = 'completed' AND completed_at`` in range); ``dashboard.cases_in_flight`` the running cases or those
completed since today. With five years of history (bench/history.py: ~2.7 million finished tasks at scale 0.1)
neither had an index to start from — ``(section_code, state)`` leads with the section — and each page read
scanned every task and every case. ``(state, completed_at)`` serves both task queries; ``completed_at`` on
cases gives the OR its second index (``(state, created_at)`` serves the running ones).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 08:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_case_tasks_state_completed', 'case_tasks', ['state', 'completed_at'])
    op.create_index('ix_cases_completed_at', 'cases', ['completed_at'])


def downgrade():
    op.drop_index('ix_cases_completed_at', table_name='cases')
    op.drop_index('ix_case_tasks_state_completed', table_name='case_tasks')
