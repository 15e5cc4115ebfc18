"""documents: stored case documents, signatures, RPA exports

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('doc_key', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('form_key', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_documents_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_documents')),
    sa.UniqueConstraint('case_id', 'doc_key', name='uq_case_documents_case_doc')
    )
    with op.batch_alter_table('case_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_documents_case_id'), ['case_id'], unique=False)

    op.create_table('case_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('taken_by', sa.String(length=64), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_signatures_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_signatures')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_signatures_case_id'))
    )
    op.create_table('case_status_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_status_links_case_id_cases'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_status_links')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_status_links_case_id')),
    sa.UniqueConstraint('token', name=op.f('uq_case_status_links_token'))
    )
    op.create_table('rpa_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('manual_rows', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rpa_exports'))
    )
    op.create_table('rpa_export_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['rpa_exports.id'], name=op.f('fk_rpa_export_files_export_id_rpa_exports'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rpa_export_files'))
    )
    with op.batch_alter_table('rpa_export_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rpa_export_files_export_id'), ['export_id'], unique=False)

    op.create_table('rpa_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_procedure_id', sa.Integer(), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=False),
    sa.Column('procedure', sa.String(length=64), nullable=False),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('values_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_procedure_id'], ['case_procedures.id'],
                            name=op.f('fk_rpa_rows_case_procedure_id_case_procedures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['export_id'], ['rpa_exports.id'], name=op.f('fk_rpa_rows_export_id_rpa_exports'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rpa_rows')),
    sa.UniqueConstraint('case_procedure_id', name=op.f('uq_rpa_rows_case_procedure_id'))
    )
    with op.batch_alter_table('rpa_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rpa_rows_export_id'), ['export_id'], unique=False)


def downgrade():
    with op.batch_alter_table('rpa_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rpa_rows_export_id'))
    op.drop_table('rpa_rows')
    with op.batch_alter_table('rpa_export_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rpa_export_files_export_id'))
    op.drop_table('rpa_export_files')
    op.drop_table('rpa_exports')
    op.drop_table('case_status_links')
    op.drop_table('case_signatures')
    with op.batch_alter_table('case_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_documents_case_id'))
    op.drop_table('case_documents')
