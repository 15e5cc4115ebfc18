"""write-behind support: madoguchi_expect_rows() on PostgreSQL; the operation log's chain head exists from install

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 15:45:00

``madoguchi_expect_rows`` lets a queued optimistic-locking UPDATE fail on the server when it changed no row
(core/writebehind.py): SQLSTATE MD409, which the application turns into a stale-version conflict, unless the
caller names another. The chain head is seeded here because a queued operation-log append cannot create it
when it is missing: it is written without waiting for an answer.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

EXPECT_ROWS = """
CREATE OR REPLACE FUNCTION madoguchi_expect_rows(changed bigint, expected bigint, message text,
                                                 sqlstate text DEFAULT 'MD409') RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF changed <> expected THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    END IF;
    RETURN changed;
END
$$
"""

# From the newest chained entry when there is one, as core.audit._create_head does.
SEED_HEAD = f"""
INSERT INTO audit_chain_head (id, last_seq, last_hash, base_seq, base_hash)
SELECT 1,
       COALESCE((SELECT max(seq) FROM audit_log), 0),
       COALESCE((SELECT hash FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)), '{GENESIS}'),
       0, '{GENESIS}'
WHERE NOT EXISTS (SELECT 1 FROM audit_chain_head)
"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(EXPECT_ROWS)
    op.execute(SEED_HEAD)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS madoguchi_expect_rows(bigint, bigint, text, text)")
