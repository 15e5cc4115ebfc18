"""determination: case_procedures (the related procedures a case determined or staff added)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_procedures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('section_code', sa.String(length=32), nullable=False),
    sa.Column('form_keys', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('rule', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_procedures_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_procedures'))
    )
    with op.batch_alter_table('case_procedures', schema=None) as batch_op:
        batch_op.create_index('ix_case_procedures_case_state', ['case_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_procedures_section_code'), ['section_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_procedures_task_id'), ['task_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_procedures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_procedures_task_id'))
        batch_op.drop_index(batch_op.f('ix_case_procedures_section_code'))
        batch_op.drop_index('ix_case_procedures_case_state')

    op.drop_table('case_procedures')
