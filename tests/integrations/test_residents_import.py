"""Importing core-system files: encodings, layouts, full and diff modes, and rejection of bad files."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from integrations.imports import generator, importer, mapping
from integrations.imports.models import ImportRun
from residents import normalize
from residents.models import Household, Resident
from tests.conftest import actor
from tests.integrations.residents_support import load, person, sample, snapshot

pytestmark = pytest.mark.usefixtures("app")


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_check_digit_is_modulus_11_with_weights_2_to_7() -> None:
    assert normalize.check_digit("123456789") == 2  # 174 = 11*15 + 9 → 11 - 9
    assert normalize.check_digit("6") == 0  # remainder 1 gives 0
    assert normalize.check_digit("0") == 0  # remainder 0 gives 0
    assert normalize.valid_check_digit("1234567892")
    assert not normalize.valid_check_digit("1234567893")
    assert not normalize.valid_check_digit("12345678x2")


def test_full_import_of_utf8_file_builds_households_and_records_the_run() -> None:
    rows = sample(40)
    run = load(rows)
    assert (run.status, run.rows_read, run.inserted, run.encoding) == ("succeeded", 40, 40, "utf-8")
    assert count(Resident) == 40
    assert count(Household) == len({r["setai_no"] for r in rows})
    head = db.session.scalar(select(Resident).where(Resident.jumin_code == rows[0]["jumin_code"]))
    assert head.household.head_name == rows[0]["name"]
    assert (head.source, head.import_run_id) == ("test", run.id) and head.imported_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resident.import"))
    assert entry.username == "admin" and json.loads(entry.details)["inserted"] == 40
    again = load(rows)
    assert (again.inserted, again.updated, again.unchanged, again.deleted) == (0, 0, 40, 0)


def test_cp932_file_is_detected_and_keeps_extended_characters() -> None:
    rows = [person(1, "髙橋　一郎", "タカハシ　イチロウ"), person(2, "山﨑　花子", "ﾔﾏｻﾞｷ ﾊﾅｺ", setai=1, relation="妻")]
    run = load(rows, encoding="cp932")
    assert (run.status, run.encoding) == ("succeeded", "cp932")
    names = set(db.session.scalars(select(Resident.name)))
    assert names == {"髙橋　一郎", "山﨑　花子"}
    assert db.session.scalar(select(Resident.kana_key).where(Resident.name == "山﨑　花子")) == "ヤマザキハナコ"


def test_partial_birth_date_is_kept() -> None:
    load([person(1, "不詳　太郎", "フショウ　タロウ", birth_date="1950-00-00")])
    resident = db.session.scalar(select(Resident))
    assert (resident.birth_date, resident.birth_date_text) == (None, "1950-00-00")


def _bad_encoding(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    lines[3] = lines[3].replace("　".encode(), b"\xff\xfe", 1)
    return b"\r\n".join(lines)


def _edit(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    return [{**r, **changes} if i == index else r for i, r in enumerate(rows)]


def _bad_setai(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    setai = rows[2]["setai_no"]
    return _edit(rows, 2, setai_no=setai[:-1] + str((int(setai[-1]) + 1) % 10))


REJECTIONS = {
    "bad date": (lambda rows: _edit(rows, 2, birth_date="2020-02-30"), 4, "bad date"),
    "bad date format": (lambda rows: _edit(rows, 2, birth_date="二〇二〇年一月一日"), 4, "bad date"),
    "missing key": (lambda rows: _edit(rows, 2, jumin_code=""), 4, "missing key"),
    "missing setai": (lambda rows: _edit(rows, 2, setai_no=""), 4, "missing key"),
    "duplicate key": (lambda rows: [*rows, rows[1]], 12, "duplicate key"),
    "bad check digit": (_bad_setai, 4, "bad check digit"),
    "bad jumin code": (lambda rows: _edit(rows, 2, jumin_code="12345678901"), 4, "bad check digit"),
}


@pytest.mark.parametrize("reason", list(REJECTIONS))
def test_bad_file_is_rejected_whole_and_live_data_unchanged(reason: str) -> None:
    rows = sample(10)
    load(rows)
    before = snapshot()
    breaker, line, text = REJECTIONS[reason]
    changed = [{**r, "address_extra": "変更"} for r in rows]  # good rows that would change the data
    run = load(breaker(changed))
    assert run.status == "rejected"
    errors = importer.errors_of(run)
    assert any(e["line"] == line and text in e["reason"] for e in errors), errors
    assert snapshot() == before


def test_bad_encoding_and_wrong_column_count_are_rejected_with_every_line() -> None:
    rows = sample(10)
    load(rows)
    before = snapshot()
    data = generator.csv_bytes(rows)
    data = _bad_encoding(data)
    lines = data.split(b"\r\n")
    lines[6] = lines[6] + b",extra"
    lines[8] = lines[8].rsplit(b",", 1)[0]
    run = importer.run_import(data=b"\r\n".join(lines), source="test", mode="full", actor=actor("admin"))
    db.session.commit()
    errors = importer.errors_of(run)
    assert run.status == "rejected" and run.rejected == 3
    assert [(e["line"], e["reason"].split(" / ")[1]) for e in errors] == [
        (4, "bad encoding"), (7, "wrong column count"), (9, "wrong column count")]
    assert snapshot() == before
    stored = db.session.get(ImportRun, run.id)
    assert stored is not None and stored.status == "rejected"


def test_every_bad_row_is_reported_not_just_the_first() -> None:
    rows = sample(20)
    bad = _edit(_edit(_edit(rows, 0, birth_date="x"), 5, jumin_code=""), 9, sex="7")
    run = load(bad)
    assert [e["line"] for e in importer.errors_of(run)] == [2, 7, 11]
    assert count(Resident) == 0


def test_diff_adds_changes_and_deletes() -> None:
    rows = sample(60)
    load(rows)
    diff = generator.make_diff(rows, 15, seed=2)
    ops = {op: [r for r in diff if r["op"] == op] for op in "ACD"}
    assert all(ops.values())
    run = load(diff, mode="diff")
    assert run.status == "succeeded", importer.errors_of(run)
    assert (run.inserted, run.updated, run.deleted) == (len(ops["A"]), len(ops["C"]), len(ops["D"]))
    assert count(Resident) == 60 + len(ops["A"]) - len(ops["D"])
    changed = db.session.scalar(select(Resident).where(Resident.jumin_code == ops["C"][0]["jumin_code"]))
    assert changed.address_extra == "変更後方書" and changed.import_run_id == run.id
    gone = [r["jumin_code"] for r in ops["D"]]
    assert not db.session.scalars(select(Resident).where(Resident.jumin_code.in_(gone))).all()
    empty = db.session.scalars(select(Household).where(~Household.members.any())).all()
    assert empty == []


def test_diff_rejects_adding_an_existing_key_and_changing_an_unknown_one() -> None:
    rows = sample(10)
    load(rows)
    before = snapshot()
    diff = [{**rows[0], "op": "A"}, {**person(99, "新規　太郎", "シンキ　タロウ"), "op": "C"},
            {"op": "D", "jumin_code": normalize.with_check_digit("0000000098")}, {**rows[1], "op": "X"}]
    run = load(diff, mode="diff")
    reasons = [(e["line"], e["reason"].split(" / ")[1].split(":")[0]) for e in importer.errors_of(run)]
    assert reasons == [(2, "key exists"), (3, "key not found"), (4, "key not found"), (5, "bad op")]
    assert snapshot() == before


def test_fixed_width_file_through_a_mapping() -> None:
    spec = mapping.find("example_fixed")
    assert spec is not None and spec.format == "fixed"

    def record(op: str, n: int, name: str, kana: str, relation: str) -> bytes:
        values = {"op": op, "jumin_code": normalize.with_check_digit(f"{n:010d}"),
                  "setai_no": normalize.with_check_digit("000000001"), "name": name, "name_kana": kana,
                  "birth_date": "19800101", "sex": "1", "relation": relation, "postal_code": "7538501",
                  "address": "山口県山口市亀山町２番１号", "resident_type": "1", "support_measure": "0"}
        out = b""
        for column, field in spec.columns.items():
            out += values[column].encode("cp932").ljust(field.length, b" ")
        return out

    data = record("A", 1, "髙橋　一郎", "ﾀｶﾊｼ ｲﾁﾛｳ", "01") + b"\r\n" + record("A", 2, "髙橋　花子", "ﾀｶﾊｼ ﾊﾅｺ", "02")
    run = importer.run_import(data=data, source="example_fixed", mode="diff", actor=actor("admin"), mapping=spec)
    db.session.commit()
    assert run.status == "succeeded", importer.errors_of(run)
    assert run.file_format == "fixed" and run.inserted == 2
    head = db.session.scalar(select(Resident).where(Resident.relation == "世帯主"))
    assert (head.name, head.kana_key, head.household.head_name) == ("髙橋　一郎", "タカハシイチロウ", "髙橋　一郎")
    short = importer.run_import(data=data[:150], source="example_fixed", mode="diff", actor=actor("admin"),
                                mapping=spec)
    assert short.status == "rejected"
    assert "wrong column count" in importer.errors_of(short)[0]["reason"]


def test_csv_mapping_renames_japanese_headers_and_translates_values() -> None:
    spec = mapping.find("example_csv")
    header = "住民票コード,世帯番号,氏名,氏名フリガナ,生年月日,性別,続柄,郵便番号,住所,支援措置\r\n"
    row = (f"{normalize.with_check_digit('0000000001')},{normalize.with_check_digit('000000001')},"
           "山田　花子,ヤマダ　ハナコ,19900505,女,世帯主,7538501,山口県山口市亀山町2番1号,dv\r\n")
    run = importer.run_import(data=(header + row).encode("cp932"), source="example_csv", mode="full",
                              actor=actor("admin"), mapping=spec)
    assert run.status == "succeeded", importer.errors_of(run)
    resident = db.session.scalar(select(Resident))
    assert (resident.sex, resident.support_measure, resident.support_measure_kind) == ("2", True, "dv")


def test_a_database_failure_in_the_merge_keeps_the_run_and_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    load(sample(10))
    before = snapshot()
    monkeypatch.setattr(importer, "_upsert_sql", lambda: importer.text("INSERT INTO no_such_table VALUES (1)"))
    run = load(sample(12, seed=9))
    assert run.status == "failed" and run.message.startswith("database error")
    assert run.rows_read == 12 and run.inserted == 0
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 2
