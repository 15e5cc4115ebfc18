"""protection: 支援措置 / 抑止 flag kinds, period and protected persons' relation on residents and staging

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26 09:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


COLUMNS = (
    ('support_measure_from', sa.Date()),
    ('support_measure_until', sa.Date()),
    ('support_measure_relation', sa.String(length=32)),
)
TABLES = ('res_residents', 'res_staging')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, type_ in COLUMNS:
                batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(COLUMNS):
                batch_op.drop_column(name)
