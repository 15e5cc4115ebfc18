"""The operation log's monthly partitions (PostgreSQL) and the search that walks them (both backends)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core import audit, audit_chain, audit_partitions, maintenance
from core.actor import SYSTEM
from core.db import db, utcnow
from tests.conftest import BACKEND, actor
from tests.security.audit_helpers import append_dated, drop_past_partitions

postgres_only = pytest.mark.skipif(BACKEND != "postgres", reason="partitions exist on PostgreSQL only")


@pytest.fixture
def old_months_dropped(app: Flask) -> Iterator[None]:
    yield
    drop_past_partitions()


def _default_rows() -> int:
    return int(db.session.scalar(text(f"SELECT count(*) FROM {audit_partitions.DEFAULT}")))


def _search(partitioned: bool, **kwargs: object) -> list[int]:
    db.session.connection().info["madoguchi.audit_partitioned"] = partitioned
    return [e.seq for e in audit.list_(**kwargs)]


@pytest.mark.usefixtures("old_months_dropped")
@pytest.mark.parametrize("kwargs", [
    {}, {"limit": 3}, {"limit": 7}, {"target_id": "1"}, {"target_id": "2", "limit": 2},
    {"since_days": 100}, {"until_days": 45, "limit": 4}, {"since_days": 400, "until_days": 20},
    {"until_days": 300}, {"until_days": 300, "limit": 1},
])
def test_the_month_walk_returns_what_the_single_query_returns(app: Flask, kwargs: dict[str, object]) -> None:
    now = utcnow()
    append_dated([now - timedelta(days=13 * i, hours=i) for i in range(40)])
    audit_partitions.ensure(db.session, now=now)  # PostgreSQL: the back-dated rows leave DEFAULT
    db.session.commit()
    args = {k: v for k, v in kwargs.items() if not k.endswith("_days")}
    if "since_days" in kwargs:
        args["since"] = now - timedelta(days=kwargs["since_days"])
    if "until_days" in kwargs:
        args["until"] = now - timedelta(days=kwargs["until_days"])
    try:
        single = _search(False, **args)
        assert single, "the case must find something"
        assert _search(True, **args) == single
    finally:
        db.session.connection().info.pop("madoguchi.audit_partitioned")


@postgres_only
def test_the_migration_makes_the_log_partitioned_with_months_ahead(app: Flask) -> None:
    assert audit_partitions.is_partitioned(db.session)
    this_month = audit_partitions.month_of(utcnow())
    months = audit_partitions.months(db.session)
    assert [audit_partitions.add_months(this_month, i) for i in range(4)] == months[-4:]
    unique = db.session.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_audit_log_id_at'"))
    assert unique == "CREATE UNIQUE INDEX uq_audit_log_id_at ON ONLY public.audit_log USING btree (id, at)"


@postgres_only
@pytest.mark.usefixtures("old_months_dropped")
def test_the_job_creates_the_coming_months_and_records_it(app: Flask) -> None:
    later = utcnow() + timedelta(days=200)  # as if the job had not run for half a year
    created = audit_partitions.ensure(db.session, now=later)
    db.session.rollback()  # nothing kept: the job below must create them itself
    assert created and all(n.startswith("audit_log_") for n in created)
    status, message = maintenance.audit_partitions_job(actor=SYSTEM, now=later, settings=app.config["MADOGUCHI"])
    assert status == "succeeded" and message == f"created {', '.join(created)}"
    assert audit_partitions.add_months(audit_partitions.month_of(later), 3) in audit_partitions.months(db.session)
    [entry] = audit.list_(action="audit.partitions")
    assert entry.username == "system" and created[0] in entry.details
    # Future partitions are left to the fixture only when past; drop these here.
    for name in created:
        db.session.execute(text(f"DROP TABLE {name}"))
    db.session.commit()


@postgres_only
@pytest.mark.usefixtures("old_months_dropped")
def test_an_append_outside_every_partition_lands_in_default_and_moves_later(app: Flask, monkeypatch) -> None:
    long_ago = utcnow() - timedelta(days=3 * 365)
    monkeypatch.setattr(audit, "utcnow", lambda: long_ago)
    audit.record(actor=actor("manager"), action="test.clock_skew", target_id="x")
    db.session.commit()
    monkeypatch.undo()
    assert _default_rows() == 1
    status, message = maintenance.audit_partitions_job(actor=SYSTEM, now=utcnow(), settings=app.config["MADOGUCHI"])
    month = audit_partitions.name_of(audit_partitions.month_of(long_ago))
    assert status == "succeeded" and month in message
    assert _default_rows() == 0
    assert db.session.scalar(text(f"SELECT action FROM {month}")) == "test.clock_skew"
    assert [e.action for e in audit.list_(target_id="x")] == ["test.clock_skew"]
    assert audit_chain.verify().ok


@postgres_only
@pytest.mark.usefixtures("old_months_dropped")
def test_retention_drops_whole_archived_months_and_the_chain_still_verifies(app: Flask, tmp_path: Path) -> None:
    now = utcnow()
    old = [now - timedelta(days=2200 - 9 * i) for i in range(8)]  # about six years ago, over three months
    append_dated([*old, now - timedelta(days=1), now])
    audit_partitions.ensure(db.session, now=now)
    db.session.commit()
    old_months = sorted({audit_partitions.name_of(audit_partitions.month_of(m)) for m in old})
    assert len(old_months) >= 2 and _default_rows() == 0
    settings = replace(app.config["MADOGUCHI"], var_dir=str(tmp_path))
    status, message = maintenance.audit_retention_job(actor=SYSTEM, now=now, settings=settings)
    assert status == "succeeded", message
    assert "archived and purged 8 entries" in message and all(name in message for name in old_months)
    names = {audit_partitions.name_of(m) for m in audit_partitions.months(db.session)}
    assert not names & set(old_months)
    report = audit_chain.verify()
    assert report.ok, report.problems
    [archive] = tmp_path.joinpath("audit-archive").glob("*.jsonl.gz")
    assert audit_chain.verify_archive(archive).ok


@postgres_only
@pytest.mark.usefixtures("old_months_dropped")
def test_retention_deletes_rows_when_the_table_lock_is_busy_and_drops_the_month_later(
        app: Flask, tmp_path: Path) -> None:
    now = utcnow()
    oldest = [now - timedelta(days=2200 + i) for i in range(3)]
    append_dated([*oldest, now - timedelta(days=1900), now])
    audit_partitions.ensure(db.session, now=now)
    db.session.commit()
    month = audit_partitions.name_of(audit_partitions.month_of(oldest[0]))
    with db.engine.connect() as reader:  # an auditor's search, its transaction still open
        reader.execute(text("SELECT count(*) FROM audit_log"))
        result = audit_chain.archive_and_purge(actor=SYSTEM, before=now - timedelta(days=2000), out_dir=tmp_path)
        db.session.commit()
        reader.rollback()
    assert result["count"] == 3 and result["dropped_partitions"] == []
    assert db.session.scalar(text(f"SELECT count(*) FROM {month}")) == 0  # deleted row by row instead
    assert audit_chain.verify().ok
    result = audit_chain.archive_and_purge(actor=SYSTEM, before=now - timedelta(days=1827), out_dir=tmp_path)
    db.session.commit()
    assert result["count"] == 1 and month in result["dropped_partitions"]
    assert month not in {audit_partitions.name_of(m) for m in audit_partitions.months(db.session)}
    report = audit_chain.verify()
    assert report.ok, report.problems


def test_a_duplicated_seq_is_refused_or_reported(app: Flask) -> None:
    """SQLite keeps UNIQUE (seq); a partitioned PostgreSQL table cannot, so verify must catch the copy."""
    append_dated([utcnow() - timedelta(minutes=5 - i) for i in range(4)])
    columns = "at, username, role, terminal, ip, action, target_type, target_id, outcome, details, seq, prev_hash, hash"
    copy = f"INSERT INTO audit_log ({columns}) SELECT {columns} FROM audit_log WHERE seq = 2"
    if BACKEND != "postgres":
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text(copy))
        return
    with db.engine.begin() as conn:
        conn.execute(text(copy))
    report = audit_chain.verify()
    assert any(p.startswith("seq 2") and "duplicated" in p for p in report.problems), report.problems
