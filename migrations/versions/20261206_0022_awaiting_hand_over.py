"""cases.awaiting_hand_over: a visit whose procedures the sections may not work yet

A visit's procedure tasks open in the sections' lanes as soon as the journey routes them, while the resident is
still at the counter answering the forms' questions and signing. A section that completed one then left the
counter's answers and documents refused (found by bench/load.py). The counter's hand-over clears the flag; until
then the sections' inboxes do not list the visit's procedures and completing or claiming one is refused.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('awaiting_hand_over', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('awaiting_hand_over')
