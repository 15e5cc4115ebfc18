"""case_documents.html: a document's filled page, kept until its PDF is rendered after the response

A visit's documents are stored as their filled HTML at generation (what they say is fixed then) and laid out as
PDF in the background (workflows/visit/printing.py); until then ``pdf``, ``size`` and ``content_hash`` are empty
and ``html`` holds the page. Reading a document renders it first if the background has not yet.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_documents') as batch:
        batch.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column('size', existing_type=sa.Integer(), nullable=True)
        batch.alter_column('content_hash', existing_type=sa.String(64), nullable=True)


def downgrade():
    with op.batch_alter_table('case_documents') as batch:
        batch.alter_column('content_hash', existing_type=sa.String(64), nullable=False)
        batch.alter_column('size', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('pdf', existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column('html')
