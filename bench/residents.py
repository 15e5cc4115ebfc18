"""Benchmark of the resident DB: full import, naive ORM import, diff import and search, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.residents            # 200,000 residents (about 90,000 households)
    .venv/bin/python -m bench.residents --quick    # 20,000 residents
    .venv/bin/python -m bench.residents --check    # exit 1 when a goal is missed

Every figure is printed beside its goal. The naive import (one ORM object and flush per row, the way a
first version is usually written) is timed on a sample and extrapolated linearly, which flatters it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, text

from bench.harness import migrated_app as backend_app
from core.actor import Actor
from core.db import db
from integrations.imports import generator, importer, parsing
from residents import normalize, search
from residents.models import Household, Resident

ACTOR = Actor(username="bench", role="admin", terminal="bench")
GOAL_FULL_S = 20.0
GOAL_SPEEDUP = 10.0
GOAL_P95_MS = 10.0


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    def figure(self, backend: str, what: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("OK" if ok else "MISSED")
        line = f"{backend:<10} {what:<44} {value:>16}   {goal:<18} {verdict}"
        self.lines.append(line)
        print(line, flush=True)
        if ok is False:
            self.missed.append(f"{backend}: {what}")


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def naive_import(rows: list[dict[str, Any]]) -> None:
    """One row at a time through the ORM: look up the household and the resident, add, flush."""
    for row in rows:
        household = db.session.scalar(select(Household).where(Household.setai_no == row["setai_no"]))
        if household is None:
            household = Household(setai_no=row["setai_no"], source="naive", head_name=row["name"],
                                  address=row["address"], postal_code=row["postal_code"])
            db.session.add(household)
            db.session.flush()
        resident = db.session.scalar(select(Resident).where(Resident.jumin_code == row["jumin_code"]))
        values = {k: v for k, v in row.items() if k not in {"line", "op"}}
        if resident is None:
            db.session.add(Resident(**values, household_id=household.id, source="naive"))
        else:
            for key, value in values.items():
                setattr(resident, key, value)
        db.session.flush()
    db.session.commit()


def _clear() -> None:
    for table in ("res_residents", "res_households", "res_import_runs"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


KINDS = ("hiragana", "katakana_spaced", "halfwidth", "kanji", "kanji_family_date", "given_date", "birth_date",
         "code", "town", "kana_family_date")


def queries(rows: list[dict[str, str]], count: int, seed: int = 11) -> list[dict[str, Any]]:
    """A mix of what counter staff type: kana in several forms, kanji, given names, dates, codes, towns."""
    rng = random.Random(seed)
    return [query_of(KINDS[i % len(KINDS)], rng.choice(rows)) for i in range(count)]


def query_of(kind: str, row: dict[str, str]) -> dict[str, Any]:
    kana, name = row["name_kana"], row["name"]
    born = normalize.parse_date(row["birth_date"])[0]
    return {
        "hiragana": {"q": _hiragana(kana)},
        "katakana_spaced": {"q": kana.replace("\u3000", " ")},
        "halfwidth": {"q": normalize.jaconv.z2h(kana, kana=True)},
        "kanji": {"q": name.replace("\u3000", "")},
        "kanji_family_date": {"q": name.split("\u3000")[0], "birth_date": born},
        "given_date": {"q": kana.split("\u3000")[-1], "birth_date": born},
        "birth_date": {"birth_date": born},
        "code": {"q": row["jumin_code"]},
        "town": {"address": normalize.address_key(row["address"])[:4]},
        "kana_family_date": {"q": kana.split("\u3000")[0], "birth_date": born},
    }[kind]


def _hiragana(text: str) -> str:
    return normalize.jaconv.kata2hira(text)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def bench_backend(backend: str, rows: list[dict[str, str]], data: bytes, report: Report, *,
                  naive_sample: int) -> None:
    n = len(rows)
    with backend_app(backend):
        sample = parsing.parse(generator.csv_bytes(rows[:naive_sample]), mode="full").rows
        naive_s, _ = timed(lambda: naive_import(sample))
        _clear()
        naive_total = naive_s * n / len(sample)
        full_s, run = timed(lambda: _commit(importer.run_import(data=data, source="bench", mode="full",
                                                                actor=ACTOR)))
        assert run.status == "succeeded", importer.errors_of(run)[:5]
        households = db.session.scalar(select(func.count()).select_from(Household))
        report.figure(backend, f"full import, {n:,} residents / {households:,} households", f"{full_s:.1f} s",
                      f"goal <= {GOAL_FULL_S:.0f} s", full_s <= GOAL_FULL_S)
        sampled = "" if len(sample) == n else f" (timed {len(sample):,} rows, extrapolated)"
        report.figure(backend, f"naive ORM import{sampled}", f"{naive_total:.1f} s")
        speedup = naive_total / full_s
        report.figure(backend, "speed-up of the bulk import over naive", f"{speedup:.1f}x",
                      f"goal >= {GOAL_SPEEDUP:.0f}x", speedup >= GOAL_SPEEDUP)
        diff = generator.make_diff(rows, 2000, seed=5)
        diff_s, diff_run = timed(lambda: _commit(importer.run_import(
            data=generator.csv_bytes(diff, diff=True), source="bench", mode="diff", actor=ACTOR)))
        assert diff_run.status == "succeeded", importer.errors_of(diff_run)[:5]
        report.figure(backend, f"diff import, 2,000 changes (A {diff_run.inserted}/C {diff_run.updated}/"
                      f"D {diff_run.deleted})", f"{diff_s:.2f} s", "(no goal)")
        _search(backend, rows, report)


def _commit(run: Any) -> Any:
    db.session.commit()
    return run


def _search(backend: str, rows: list[dict[str, str]], report: Report) -> None:
    mix = queries(rows, 1000)
    for q in mix[:50]:  # warm the caches the way a running server has them
        search.find(**q)
    times, empty = [], 0
    for q in mix:
        start = time.perf_counter()
        hits = search.find(**q)
        times.append((time.perf_counter() - start) * 1000)
        empty += not hits
        db.session.rollback()
    p50, p95 = statistics.median(times), percentile(times, 95)
    report.figure(backend, "search p50 over 1,000 mixed queries", f"{p50:.2f} ms")
    report.figure(backend, "search p95 over 1,000 mixed queries", f"{p95:.2f} ms",
                  f"goal <= {GOAL_P95_MS:.0f} ms", p95 <= GOAL_P95_MS)
    report.figure(backend, "queries with no hit (deleted by the diff)", f"{empty}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 residents instead of 200,000")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--count", type=int, help="residents to generate (overrides --quick)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--naive-sample", type=int, default=2000)
    args = parser.parse_args(argv)
    n = args.count or (20_000 if args.quick else 200_000)
    started = time.perf_counter()
    gen_s, rows = timed(lambda: list(generator.generate(n, seed=2026)))
    data = generator.csv_bytes(rows)
    print(f"generated {n:,} residents ({len(data) / 1e6:.1f} MB CSV) in {gen_s:.1f} s; {date.today()}",
          flush=True)
    report = Report()
    for backend in args.backends.split(","):
        bench_backend(backend.strip(), rows, data, report, naive_sample=min(args.naive_sample, n))
    print(f"total {time.perf_counter() - started:.0f} s; goals missed: {', '.join(report.missed) or 'none'}")
    return 1 if args.check and report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
