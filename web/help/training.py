"""The training text (研修テキスト): exercises per role on the demo data, each with the outcome to expect, from
``training.yaml``; its ``check`` is what tests/web/test_training.py does through the pages to prove the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SOURCE = Path(__file__).resolve().parent / "training.yaml"


@dataclass(frozen=True)
class Exercise:
    role: str
    user: str
    title: str
    task: str
    expected: str
    check: dict[str, Any]


@dataclass(frozen=True)
class Training:
    title: str
    intro: str
    exercises: list[Exercise]


@cache
def load(source: Path = SOURCE) -> Training:
    """The exercises in the order a class does them (each builds on the one before)."""
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    return Training(title=raw["title"], intro=raw["intro"], exercises=[Exercise(**e) for e in raw["exercises"]])
