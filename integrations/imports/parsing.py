"""Read a core-system file into validated rows: encoding detection, CSV or fixed width, row checks.

Nothing here touches the database. :func:`parse` returns every row it could read and every problem
found, each with the file's line number, so a bad file is rejected with all its reasons at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from integrations.imports.mapping import Mapping
from residents import normalize
from workflows.determination import facts

CANONICAL = (
    "jumin_code", "setai_no", "name", "name_kana", "birth_date", "sex", "relation", "postal_code", "address",
    "address_extra", "resident_since", "change_reason", "change_date", "resident_type", "nationality",
    "residence_status", "alias", "insurance", "pension_category", "mynumber_card", "seal_registered",
    "disability", "care_certified", "child_allowance_recipient", "single_parent", "school", "dog_owner",
    "support_measure",
)
# 支援措置 period and the protected person's relation (申出者 / 併せて支援); optional, see docs/protection.md.
PROTECTION = ("support_measure_from", "support_measure_until", "support_measure_relation")
OPTIONAL = ("welfare_medical", "former_surname", "op", *PROTECTION)
REQUIRED = ("jumin_code", "setai_no", "name", "birth_date")
BOOLEANS = ("mynumber_card", "seal_registered", "child_allowance_recipient", "single_parent", "dog_owner")
TEXTS = ("name_kana", "relation", "postal_code", "address", "address_extra", "change_reason", "nationality",
         "residence_status", "alias", "insurance", "pension_category", "disability", "care_certified", "school",
         "welfare_medical", "former_surname", "support_measure_relation")
# Coded facts checked against DOMAIN.md's lists (workflows.determination.facts) and stored as those codes.
FACT_CODES = ("insurance", "pension_category", "disability", "care_certified", "school")
_TRUE = {"1", "true", "t", "yes", "y", "○", "有"}
_FALSE = {"", "0", "false", "f", "no", "n", "無"}
Progress = Callable[[int], None]


@dataclass
class Parsed:
    encoding: str
    file_format: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def error(self, line: int, reason: str, column: str | None = None) -> None:
        self.errors.append({"line": line, "column": column, "reason": reason})


def parse(data: bytes, *, mode: str, mapping: Mapping | None = None, progress: Progress | None = None) -> Parsed:
    """Decode and validate a whole file; ``progress`` is called with the number of rows done since last time."""
    if mapping is not None and mapping.format == "fixed":
        parsed = Parsed(encoding=mapping.encoding or "cp932", file_format="fixed")
        records = _fixed_records(data, mapping, parsed)
    else:
        text, encoding, bad_lines = decode(data, forced=mapping.encoding if mapping else None)
        parsed = Parsed(encoding=encoding, file_format="csv")
        for line in bad_lines:
            parsed.error(line, f"文字コードが不正です（{encoding} として読めません） / bad encoding")
        records = _csv_records(text, mapping, parsed, skip=set(bad_lines))
    seen: dict[str, int] = {}
    done = 0
    for line, raw in records:
        parsed.rows_read += 1
        row = _validate(line, raw, mode, mapping, parsed)
        if row is not None:
            first = seen.setdefault(row["jumin_code"], line)
            if first != line:
                parsed.error(line, f"住民票コードが重複しています（{first}行目と同じ） / duplicate key", "jumin_code")
            else:
                parsed.rows.append(row)
        done += 1
        if progress and done % 5000 == 0:
            progress(5000)
    if progress:
        progress(done % 5000)
    parsed.errors.sort(key=lambda e: e["line"])
    return parsed


def decode(data: bytes, *, forced: str | None = None) -> tuple[str, str, list[int]]:
    """(text, encoding, bad line numbers). UTF-8 (with or without BOM) is tried first, then CP932; when
    neither reads the whole file, the one reading more lines wins and the others are reported."""
    candidates = [forced] if forced else ["utf-8", "cp932"]
    if data.startswith(b"\xef\xbb\xbf"):
        data, candidates = data[3:], ["utf-8"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding, []
        except UnicodeDecodeError:
            continue
    lines = data.split(b"\n")
    best, best_bad = candidates[0], None
    for encoding in candidates:
        bad = [i + 1 for i, chunk in enumerate(lines) if not _decodes(chunk, encoding)]
        if best_bad is None or len(bad) < len(best_bad):
            best, best_bad = encoding, bad
    return data.decode(best, errors="replace"), best, best_bad or []


def _decodes(chunk: bytes, encoding: str) -> bool:
    try:
        chunk.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _csv_records(text: str, mapping: Mapping | None, parsed: Parsed,
                 skip: set[int]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        parsed.error(1, "ヘッダー行がありません / empty file")
        return
    rename = {theirs: ours for ours, theirs in (mapping.columns.items() if mapping else ())}
    names = [rename.get(h, h) for h in header]
    known = set(CANONICAL) | set(OPTIONAL)
    parsed.ignored_columns = [h for h, n in zip(header, names, strict=True) if n not in known]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        parsed.error(1, f"必須の列がありません: {', '.join(missing)} / missing columns")
        return
    start = 2
    for fields in reader:
        line, start = start, reader.line_num + 1
        if line in skip or not any(f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            parsed.error(line, f"列数が違います（{len(names)}列のはずが{len(fields)}列） / wrong column count")
            continue
        yield line, {n: f.strip() for n, f in zip(names, fields, strict=True) if n in known}


def _fixed_records(data: bytes, mapping: Mapping, parsed: Parsed) -> Iterator[tuple[int, dict[str, str]]]:
    length = mapping.record_length
    encoding = parsed.encoding
    for number, chunk in enumerate(data.split(b"\n"), start=1):
        record = chunk.rstrip(b"\r")
        if not record.strip():
            continue
        if len(record) < length:
            parsed.error(number, f"レコード長が違います（{length}バイト以上のはずが{len(record)}バイト） / "
                                 "wrong column count")
            continue
        try:
            raw = {name: record[f.start - 1:f.start - 1 + f.length].decode(encoding).strip(" \u3000")
                   for name, f in mapping.columns.items()}
        except UnicodeDecodeError:
            parsed.error(number, f"文字コードが不正です（{encoding} として読めません） / bad encoding")
            continue
        yield number, raw


def _validate(line: int, raw: dict[str, str], mode: str, mapping: Mapping | None,
              parsed: Parsed) -> dict[str, Any] | None:
    """The staged form of one row, or None after recording why it is bad (all reasons of the row)."""
    if mapping and mapping.values:
        raw = {k: mapping.values.get(k, {}).get(v, v) for k, v in raw.items()}
    before = len(parsed.errors)
    op = raw.get("op", "").upper() if mode == "diff" else "A"
    if op not in {"A", "C", "D"}:
        parsed.error(line, f"op は A/C/D のいずれかです（{raw.get('op', '')!r}） / bad op", "op")
    code = raw.get("jumin_code", "")
    if not code:
        parsed.error(line, "住民票コードがありません / missing key", "jumin_code")
    elif len(code) != 11 or not normalize.valid_check_digit(code):
        parsed.error(line, f"住民票コードが不正です（11桁・検査数字） / bad check digit: {code}", "jumin_code")
    if op == "D":
        return {"line": line, "op": op, "jumin_code": code} if len(parsed.errors) == before else None
    row = _convert(line, raw, parsed)
    if len(parsed.errors) != before:
        return None
    row.update(line=line, op=op)
    return row


def _convert(line: int, raw: dict[str, str], parsed: Parsed) -> dict[str, Any]:
    get = raw.get
    row: dict[str, Any] = {c: get(c) or None for c in TEXTS}
    row["jumin_code"] = get("jumin_code", "")
    setai = row["setai_no"] = get("setai_no", "")
    if not setai:
        parsed.error(line, "世帯番号がありません / missing key", "setai_no")
    elif not 2 <= len(setai) <= 16 or not _valid(setai):
        parsed.error(line, f"世帯番号の検査数字が不正です / bad check digit: {setai}", "setai_no")
    row["name"] = get("name", "")
    if not row["name"]:
        parsed.error(line, "氏名がありません / missing name", "name")
    try:
        row["birth_date"], row["birth_date_text"] = _date(get("birth_date", ""), partial=True)
    except ValueError as err:
        parsed.error(line, f"生年月日が不正です / bad date: {err}", "birth_date")
    for column in ("resident_since", "change_date", "support_measure_from", "support_measure_until"):
        value = get(column, "")
        try:
            row[column] = _date(value)[0] if value else None
        except ValueError as err:
            parsed.error(line, f"日付が不正です / bad date: {err}", column)
    for column in BOOLEANS:
        value = get(column, "")
        row[column] = value == "1" or (value not in ("", "0") and _boolean(line, column, value, parsed))
    for column in FACT_CODES:
        if row[column] is not None:
            row[column] = _fact(line, column, row[column], parsed)
    row.update(_codes(line, raw, parsed))
    row.update(_keys(row))
    return row


def _boolean(line: int, column: str, value: str, parsed: Parsed) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered not in _FALSE:
        parsed.error(line, f"真偽値が不正です / bad value: {value!r}", column)
    return False


def _fact(line: int, column: str, value: str, parsed: Parsed) -> str | None:
    """A coded fact as its DOMAIN.md code (the core system's 身体3級 is ``shintai3``); an unknown one is the row's
    error, never read as "none" later (a mapping's ``values:`` translates a city's own codes)."""
    code = _fact_code(column, value)
    if code is None:
        parsed.error(line, f"{facts.FACT_LABELS[column]}の値が不正です（{'、'.join(facts.CODES[column])} のいずれか）"
                           f" / bad code: {value!r}", column)
    return None if code == "none" and column in ("disability", "care_certified") else code


def _codes(line: int, raw: dict[str, str], parsed: Parsed) -> dict[str, Any]:
    sex = raw.get("sex", "")
    if sex not in {"", "1", "2", "9"}:
        parsed.error(line, f"性別は 1/2 です / bad value: {sex!r}", "sex")
    kind = raw.get("resident_type", "") or "1"
    if kind not in {"1", "2"}:
        parsed.error(line, f"住民区分は 1/2 です / bad value: {kind!r}", "resident_type")
    support = raw.get("support_measure", "")
    flagged = support.lower() not in _FALSE
    return {"sex": sex or None, "resident_type": kind, "support_measure": flagged,
            "support_measure_kind": support if flagged and support.lower() not in _TRUE else None}


def _keys(row: dict[str, Any]) -> dict[str, Any]:
    family_kana, given_kana = _split(row["name_kana"] or "")
    family, given = _split(row["name"])
    keys = {
        "kana_key": (_kana(family_kana) + _kana(given_kana)) or None,
        "given_kana_key": _kana(given_kana) or None,
        "name_key": _name(family) + _name(given),
        "given_name_key": _name(given) or None,
        "address_key": _address(row["address"]) or None,
    }
    joined = "\x1f".join([str(row.get(c)) for c in _HASHED])
    keys["row_hash"] = hashlib.md5(joined.encode(), usedforsecurity=False).hexdigest()
    return keys


_HASHED = (*CANONICAL[1:], "welfare_medical", "former_surname", "birth_date_text", "support_measure_kind",
           *PROTECTION)


def _split(name: str) -> tuple[str, str]:
    given = normalize.given_part(name)
    if given is None:
        return name, ""
    return name[: len(name) - len(given)], given


_date = lru_cache(maxsize=65536)(normalize.parse_date)
_fact_code = lru_cache(maxsize=4096)(facts.fact_code)
_valid = lru_cache(maxsize=65536)(normalize.valid_check_digit)
_kana = lru_cache(maxsize=20000)(normalize.kana_key)
_name = lru_cache(maxsize=20000)(normalize.name_key)
_address = lru_cache(maxsize=4096)(normalize.address_key)
