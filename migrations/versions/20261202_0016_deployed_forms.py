"""deployed forms: task, interview and printed forms deployed from the designer's page, versioned like models

One row per version of a form key: the form-js schema the browser editor saved, and for a printed form its
checked field map (JSON) and uploaded layout. Nothing else refers to the table; forms.taskforms.get and
forms.printforms.get look a key up here before the library's forms/library/<key>/form.yaml.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 16:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deployed_forms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('schema_json', sa.Text(), nullable=False),
        sa.Column('print_json', sa.Text(), nullable=True),
        sa.Column('template', sa.Text(), nullable=True),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('deployed_by', sa.String(length=64), nullable=False),
        sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deployed_forms')),
        sa.UniqueConstraint('key', 'version', name='uq_deployed_forms_key_version'),
    )
    op.create_index(op.f('ix_deployed_forms_key'), 'deployed_forms', ['key'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_deployed_forms_key'), table_name='deployed_forms')
    op.drop_table('deployed_forms')
