"""audit partitions: the operation log becomes monthly range partitions on PostgreSQL

PostgreSQL only (SQLite keeps the plain table): ``audit_log`` is rebuilt as ``PARTITION BY RANGE (at)``
with one partition per UTC month from the oldest entry to three months ahead, plus a DEFAULT partition.
Existing rows are copied (the new table is filled before its indexes are built, then the names are swapped).
A partitioned table's unique keys must include the partition key: the primary key ``(id)`` becomes a unique
index on ``(id, at)`` and ``UNIQUE (seq)`` a plain index — the chain head still hands out each ``seq`` once,
and ``madoguchi audit verify`` reports a duplicated one. A unique index, not a PRIMARY KEY constraint: with a
primary key on a partitioned table, PostgreSQL 15's ``pg_restore --clean`` (``madoguchi restore``) fails
("cannot drop inherited constraint … of relation audit_log_default"). Downgrade copies back into the plain table.

On a large log run it in a maintenance window: the copy and index builds take minutes per ten million rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 11:00:00

"""
from datetime import UTC, date, datetime

from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

AHEAD_MONTHS = 3
COLUMNS = ("id, at, username, role, terminal, ip, action, target_type, target_id, outcome, details, seq, "
           "prev_hash, hash")
DEFINITION = """(
    id integer NOT NULL DEFAULT nextval('{sequence}'::regclass),
    at timestamp with time zone NOT NULL,
    username varchar(64), role varchar(16), terminal varchar(100), ip varchar(64),
    action varchar(64) NOT NULL, target_type varchar(32), target_id varchar(64),
    outcome varchar(16) NOT NULL, details text,
    seq bigint, prev_hash varchar(64), hash varchar(64)
)"""
INDEXES = (
    "CREATE INDEX ix_audit_log_at ON audit_log (at)",
    "CREATE INDEX ix_audit_log_target ON audit_log (target_type, target_id, at)",
    "CREATE INDEX ix_audit_log_username_at ON audit_log (username, at)",
)


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _months(first: datetime, now: datetime) -> list[date]:
    """Every UTC month from ``first``'s to three months after ``now``'s."""
    start, end = first.year * 12 + first.month - 1, now.year * 12 + now.month - 1 + AHEAD_MONTHS
    return [_month(i) for i in range(start, end + 1)]


def _swap_in(new: str, sequence: str) -> None:
    """Copy every row from ``audit_log`` into ``new``, drop the old table and give ``new`` its name and id sequence."""
    op.execute(f"INSERT INTO {new} ({COLUMNS}) SELECT {COLUMNS} FROM audit_log")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    op.execute("DROP TABLE audit_log")
    op.execute(f"ALTER TABLE {new} RENAME TO audit_log")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY audit_log.id")


def upgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('audit_log', 'id')").scalar()
    now = datetime.now(UTC)
    oldest = conn.exec_driver_sql("SELECT min(at) FROM audit_log").scalar() or now
    op.execute(f"CREATE TABLE audit_log_partitioned {DEFINITION.format(sequence=sequence)} PARTITION BY RANGE (at)")
    for month in _months(oldest.astimezone(UTC), now):
        end = _month(month.year * 12 + month.month)
        op.execute(f"CREATE TABLE audit_log_{month:%Y_%m} PARTITION OF audit_log_partitioned "
                   f"FOR VALUES FROM ('{month.isoformat()} 00:00+00') TO ('{end.isoformat()} 00:00+00')")
    op.execute("CREATE TABLE audit_log_default PARTITION OF audit_log_partitioned DEFAULT")
    _swap_in("audit_log_partitioned", sequence)
    for statement in (*INDEXES, "CREATE UNIQUE INDEX uq_audit_log_id_at ON audit_log (id, at)",
                      "CREATE INDEX ix_audit_log_seq ON audit_log (seq)"):
        op.execute(statement)
    op.execute("ANALYZE audit_log")


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('audit_log', 'id')").scalar()
    op.execute(f"CREATE TABLE audit_log_plain {DEFINITION.format(sequence=sequence)}")
    _swap_in("audit_log_plain", sequence)  # dropping the partitioned table drops every partition
    op.execute("ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (id)")
    op.execute("ALTER TABLE audit_log ADD CONSTRAINT uq_audit_log_seq UNIQUE (seq)")
    for statement in INDEXES:
        op.execute(statement)
