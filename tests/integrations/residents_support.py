"""Helpers for the resident DB tests: small canonical files and a snapshot of the live data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from integrations.imports import generator, importer
from residents.models import Household, Resident
from residents.normalize import with_check_digit
from tests.conftest import actor

BASE: dict[str, str] = {c: "" for c in generator.HEADER} | {"sex": "1", "resident_type": "1",
                                                              "relation": "世帯主", "postal_code": "7538501",
                                                              "address": "山口県山口市亀山町2番1号"}


def person(n: int, name: str, kana: str, *, setai: int | None = None, **extra: str) -> dict[str, str]:
    """A canonical row with valid check digits: 住民票コード from ``n``, 世帯番号 from ``setai`` (default n)."""
    return {**BASE, "jumin_code": with_check_digit(f"{n:010d}"),
            "setai_no": with_check_digit(f"{(setai or n):09d}"), "name": name, "name_kana": kana,
            "birth_date": "1980-01-01", **extra}


def sample(count: int = 30, seed: int = 1) -> list[dict[str, str]]:
    return list(generator.generate(count, seed=seed))


def load(rows: list[dict[str, str]], *, mode: str = "full", encoding: str = "utf-8", user: str = "admin",
         **kwargs: Any) -> Any:
    """Import ``rows`` as ``user`` and commit; returns the run."""
    data = generator.csv_bytes(rows, encoding=encoding, diff=mode == "diff")
    run = importer.run_import(data=data, source="test", mode=mode, actor=actor(user), filename="t.csv", **kwargs)
    db.session.commit()
    return run


def snapshot() -> list[tuple[str, ...]]:
    """Everything that an import could change, in a comparable form."""
    residents = db.session.execute(select(Resident.jumin_code, Resident.name, Resident.row_hash,
                                          Resident.household_id).order_by(Resident.jumin_code)).all()
    households = db.session.execute(select(Household.setai_no, Household.head_name, Household.address)
                                    .order_by(Household.setai_no)).all()
    return [tuple(map(str, r)) for r in residents] + [tuple(map(str, h)) for h in households]
