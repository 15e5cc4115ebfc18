"""Per-source mapping files (YAML): how a city's own export maps onto the canonical layout.

A mapping is optional: without one a file must be the canonical CSV. Format (see docs/residents.md)::

    source: kikan_a          # the name used with --source
    format: csv              # csv (default) or fixed
    encoding: cp932          # optional; csv files are detected (UTF-8 or CP932) when absent
    columns:                 # canonical name: the file's header (csv) or {start: 1, length: 11} (fixed, bytes)
      jumin_code: 住民票コード
    values:                  # optional value translations per canonical column
      sex: {男: "1", 女: "2"}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import Invalid
from core.i18n import N_

PACKAGE_DIR = Path(__file__).resolve().parent / "mappings"


@dataclass(frozen=True)
class FixedField:
    start: int  # 1-based byte position
    length: int


@dataclass(frozen=True)
class Mapping:
    source: str
    format: str = "csv"
    encoding: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def record_length(self) -> int:
        """Bytes per fixed-width record: the end of the furthest field."""
        return max(f.start - 1 + f.length for f in self.columns.values())


def from_dict(raw: dict[str, Any], *, origin: str = "mapping") -> Mapping:
    """Validate a parsed YAML mapping; Invalid names every problem."""
    problems: dict[str, str] = {}
    fmt = raw.get("format", "csv")
    if fmt not in {"csv", "fixed"}:
        problems["format"] = "csv か fixed を指定してください"
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict) or not columns:
        problems["columns"] = "columns が必要です"
        columns = {}
    parsed: dict[str, Any] = {}
    for name, spec in columns.items():
        if fmt == "fixed":
            try:
                parsed[name] = FixedField(start=int(spec["start"]), length=int(spec["length"]))
            except (TypeError, KeyError, ValueError):
                problems[f"columns.{name}"] = "start と length（バイト）が必要です"
        else:
            parsed[name] = str(spec)
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        problems["values"] = "values は対応表です"
        values = {}
    if problems:
        raise Invalid(N_("マッピングファイルが不正です（{origin}）", origin=origin), details=problems)
    return Mapping(source=str(raw.get("source") or ""), format=fmt, encoding=raw.get("encoding"),
                   columns=parsed, values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()})


def load_file(path: Path) -> Mapping:
    """Read one mapping file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise Invalid(N_("マッピングファイルを読めません: {file}", file=path.name), details={"file": str(err)}) from err
    if not isinstance(raw, dict):
        raise Invalid(N_("マッピングファイルが不正です: {file}", file=path.name))
    return from_dict(raw, origin=path.name)


def find(source: str, *, dirs: Iterable[Path] = ()) -> Mapping | None:
    """The mapping named ``<source>.yaml`` in ``dirs`` then in the package's mappings/, or None."""
    for folder in (*dirs, PACKAGE_DIR):
        path = Path(folder) / f"{source}.yaml"
        if path.is_file():
            return load_file(path)
    return None
