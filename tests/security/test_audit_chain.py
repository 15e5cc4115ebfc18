"""The operation log's hash chain: appends link, verify finds edits, deletions and reorders, archives verify."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text, update

from core import audit, audit_chain
from core.db import db, utcnow
from core.models import AuditChainHead, AuditEntry
from tests.conftest import actor


def _append(n: int, prefix: str = "test.action") -> None:
    for i in range(n):
        audit.record(actor=actor("manager"), action=prefix, target_type="resident", target_id=i,
                     details={"i": i, "name": "山田 太郎"})
    db.session.commit()


def test_entries_link_and_verify_clean(app: Flask) -> None:
    _append(5)
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    report = audit_chain.verify()
    assert report.ok, report.problems
    assert report.checked == 5


# Text the hashed JSON must carry exactly: quotes, backslashes, control characters, U+2028, 外字 outside the BMP,
# an emoji, and characters that json.dumps escapes (the PostgreSQL append hashes on the server; see core.audit).
AWKWARD = ['"quoted"', "back\\slash", "line\nbreak\ttab\r", "\u2028sep\u2029", "𠮷野家 髙﨑", "🙂", "\x01\x1f",
           "", " ", "</script>", "null"]


def test_entries_with_awkward_text_hash_as_python_digests_them(app: Flask) -> None:
    returned = []
    for i, value in enumerate(AWKWARD):
        who = actor("manager")
        returned.append(audit.record(actor=who, action=f"awkward.{i}", target_type="resident", target_id=value,
                                     outcome="ok", details={"value": value, "n": i, "nested": {"v": [value]}}))
    returned.append(audit.record(actor=None, action="awkward.none"))  # NULLs hash as JSON null
    db.session.commit()
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.hash for e in entries] == [audit.digest(e) for e in entries]
    for r, e in zip(returned, entries, strict=True):
        assert (r["action"], r["target_id"]) == (e.action, e.target_id)
        if "seq" in r:  # ran at once (SQLite); a queued append (PostgreSQL) is numbered and hashed on the server
            assert (r["seq"], r["prev_hash"], r["hash"]) == (e.seq, e.prev_hash, e.hash)
    head = db.session.get(AuditChainHead, 1)
    assert (head.last_seq, head.last_hash) == (entries[-1].seq, entries[-1].hash)
    report = audit_chain.verify()
    assert report.ok, report.problems


def _raw(sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_verify_finds_an_edited_entry(app: Flask) -> None:
    _append(4)
    _raw("UPDATE audit_log SET target_id = 'x' WHERE seq = 3")
    report = audit_chain.verify()
    assert not report.ok
    assert any(p.startswith("seq 3") and "改ざん" in p for p in report.problems), report.problems


def test_verify_finds_a_deleted_entry(app: Flask) -> None:
    _append(4)
    _raw("DELETE FROM audit_log WHERE seq = 2")
    report = audit_chain.verify()
    assert any(p.startswith("seq 3") and "削除" in p for p in report.problems), report.problems


def test_verify_finds_deleted_newest_entries(app: Flask) -> None:
    _append(4)
    _raw("DELETE FROM audit_log WHERE seq = 4")
    report = audit_chain.verify()
    assert any("末尾" in p and "seq 3" in p for p in report.problems), report.problems


def test_verify_finds_reordered_entries(app: Flask) -> None:
    _append(4)
    # Swap the positions of entries 2 and 3 (as someone reordering the log would).
    _raw("UPDATE audit_log SET seq = -2 WHERE seq = 2")
    _raw("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    _raw("UPDATE audit_log SET seq = 3 WHERE seq = -2")
    report = audit_chain.verify()
    assert any(p.startswith("seq 2") for p in report.problems), report.problems


def test_failed_login_is_kept_when_the_transaction_rolls_back(app: Flask) -> None:
    audit.record_independently(actor=None, action="auth.login", target_id="nobody", outcome="denied")
    db.session.rollback()
    assert [e.outcome for e in audit.list_(action="auth.login")] == ["denied"]
    assert audit_chain.verify().ok


def test_archive_purges_old_entries_and_both_parts_verify(app: Flask, tmp_path: Path) -> None:
    _append(6)
    old = utcnow() - timedelta(days=6 * 365)
    db.session.execute(update(AuditEntry).where(AuditEntry.seq <= 4).values(at=old))
    # Re-hash the back-dated entries, as if they had been written then.
    _rehash()
    result = audit_chain.archive_and_purge(actor=actor("admin"), before=utcnow() - timedelta(days=1827),
                                           out_dir=tmp_path)
    db.session.commit()
    assert result["count"] == 4 and result["last_seq"] == 4
    assert sorted(e.seq for e in db.session.scalars(db.select(AuditEntry))) == [5, 6, 7]
    assert audit_chain.verify().ok
    archive = Path(result["path"])
    assert audit_chain.verify_archive(archive).ok
    assert Path(f"{archive}.sha256").read_text().startswith(result["sha256"])
    head = db.session.get(AuditChainHead, 1)
    assert head.base_seq == 4


def test_a_tampered_archive_is_detected(app: Flask, tmp_path: Path) -> None:
    import gzip

    _append(3)
    result = audit_chain.archive_and_purge(actor=actor("admin"), before=utcnow() + timedelta(seconds=1),
                                           out_dir=tmp_path)
    db.session.commit()
    path = Path(result["path"])
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    lines[2] = lines[2].replace("test.action", "test.other")
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    report = audit_chain.verify_archive(path)
    assert any(p.startswith("line 3") for p in report.problems), report.problems


def _rehash() -> None:
    prev = audit.GENESIS
    for entry in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.seq)):
        entry.prev_hash = prev
        entry.hash = prev = audit.digest(entry)
    db.session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    db.session.commit()


@pytest.mark.timeout(60)
def test_concurrent_appends_keep_one_chain(app: Flask) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                for i in range(15):
                    audit.record(actor=None, action="race", target_id=i)
                    db.session.commit()
        except BaseException as err:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = audit_chain.verify()
    assert report.ok, report.problems
    assert report.checked == 60
