"""tickets and pre-entries: numbered tickets per purpose, their measured services, residents' pre-entries

``tickets`` are the day's numbered tickets (where each waits, who called it at which counter, the visit's case
once started); ``ticket_services`` one measured service at a counter each (what the wait estimates learn from);
``pre_entries`` what a resident entered on a phone, under a random reference, until used or expired.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=16), nullable=False),
        sa.Column('section_code', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('counter', sa.String(length=16), nullable=True),
        sa.Column('called_by', sa.String(length=64), nullable=True),
        sa.Column('call_count', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_called_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('issued_by', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['section_code'], ['sections.code'], name=op.f('fk_tickets_section_code_sections')),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_tickets_case_id_cases'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
        sa.UniqueConstraint('day', 'purpose', 'number', name='uq_tickets_day_purpose_number'),
        sa.UniqueConstraint('token', name=op.f('uq_tickets_token')),
    )
    op.create_index('ix_tickets_day_state_section', 'tickets', ['day', 'state', 'section_code'], unique=False)
    op.create_index(op.f('ix_tickets_case_id'), 'tickets', ['case_id'], unique=False)
    op.create_table(
        'ticket_services',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('section_code', sa.String(length=32), nullable=False),
        sa.Column('counter', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seconds', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_services_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_services')),
    )
    op.create_index('ix_ticket_services_day_section', 'ticket_services', ['day', 'section_code'], unique=False)
    op.create_index(op.f('ix_ticket_services_ticket_id'), 'ticket_services', ['ticket_id'], unique=False)
    op.create_table(
        'pre_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=16), nullable=False),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('client', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pre_entries')),
        sa.UniqueConstraint('reference', name=op.f('uq_pre_entries_reference')),
    )
    op.create_index(op.f('ix_pre_entries_client'), 'pre_entries', ['client'], unique=False)
    op.create_index(op.f('ix_pre_entries_created_at'), 'pre_entries', ['created_at'], unique=False)
    op.create_index(op.f('ix_pre_entries_expires_at'), 'pre_entries', ['expires_at'], unique=False)


def downgrade():
    op.drop_table('pre_entries')
    op.drop_table('ticket_services')
    op.drop_index('ix_tickets_day_state_section', table_name='tickets')
    op.drop_index(op.f('ix_tickets_case_id'), table_name='tickets')
    op.drop_table('tickets')
