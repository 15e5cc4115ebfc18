"""security: hash-chained operation log, login lockout columns, encrypted My Number

Adds seq/prev_hash/hash to audit_log (existing entries are chained in id order), the single-row chain
head, users.failed_logins/locked_until/password_changed_at, and res_mynumbers (Fernet ciphertext).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_seq'), ['seq'])
        # Searches by resident come back newest first straight from the index.
        batch_op.drop_index('ix_audit_log_target')
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id', 'at'], unique=False)

    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('base_seq', sa.BigInteger(), nullable=False),
    sa.Column('base_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('res_mynumbers',
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['res_residents.id'],
                            name=op.f('fk_res_mynumbers_resident_id_res_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resident_id', name=op.f('pk_res_mynumbers'))
    )
    _chain_existing_entries()


def _chain_existing_entries():
    """Give the entries written before this revision their place and hashes, then write the head."""
    from core.audit import HASHED_FIELDS, digest
    from core.db import UTCDateTime

    conn = op.get_bind()
    log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('at', UTCDateTime(timezone=True)),
                   *[sa.column(n) for n in HASHED_FIELDS if n not in ('at',)], sa.column('hash'))
    prev, seq = GENESIS, 0
    for row in conn.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        seq += 1
        values = {**dict(row), 'seq': seq, 'prev_hash': prev}
        prev = digest(values)
        conn.execute(log.update().where(log.c.id == row['id']).values(seq=seq, prev_hash=values['prev_hash'],
                                                                      hash=prev))
    head = sa.table('audit_chain_head', *[sa.column(n) for n in ('id', 'last_seq', 'last_hash', 'base_seq',
                                                                 'base_hash')])
    conn.execute(head.insert().values(id=1, last_seq=seq, last_hash=prev, base_seq=0, base_hash=GENESIS))


def downgrade():
    op.drop_table('res_mynumbers')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('uq_audit_log_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
