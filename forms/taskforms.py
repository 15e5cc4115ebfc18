"""Task forms: the fields a user task asks for, defined in ``forms/library/<key>/form.yaml``.

Adding a form is adding a folder. The definition drives both the HTML form a task shows and the
marshmallow schema that validates what is submitted, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from core.errors import Invalid, NotFound

LIBRARY = Path(__file__).resolve().parent / "library"
BLOCKS = Path(__file__).resolve().parent / "blocks"
FIELD_TYPES = {"string", "text", "integer", "date", "boolean", "choice"}
# ``format:`` of a string field: the pattern its value must match, and the message shown when it does not.
FORMATS = {
    "postal": (r"^\d{3}-?\d{4}$", "郵便番号は 123-4567 の形で入力してください"),
    "kana": (r"^[\u30A0-\u30FF\u3000 ・ー]+$", "フリガナは全角カタカナで入力してください"),
    "phone": (r"^[0-9０-９()（）\-－ ]{6,20}$", "電話番号は数字とハイフンで入力してください"),
    "digits": (r"^\d+$", "数字で入力してください"),
    "partial_date": (r"^\d{4}-?\d{2}-?\d{2}$", "YYYY-MM-DD（不明な部分は 00）で入力してください"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    type: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    help: str | None = None
    format: str | None = None
    # When to ask (an expression for the script sandbox, e.g. ``needed and not known``); None: always. The
    # interview service (workflows.determination.interview) evaluates it; validation ignores it.
    ask_if: str | None = None


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title: str
    fields: tuple[FormField, ...] = field(default=())


def _field_from_yaml(key: str, raw: dict[str, Any]) -> FormField:
    kind = raw.get("type", "string")
    if kind not in FIELD_TYPES or not raw.get("name"):
        raise ValueError(f"form {key}: field {raw!r} needs a name and a type in {sorted(FIELD_TYPES)}")
    if raw.get("format") is not None and raw["format"] not in FORMATS:
        raise ValueError(f"form {key}: field {raw['name']} has unknown format {raw['format']!r}")
    choices = tuple((str(c["value"]), str(c.get("label", c["value"]))) for c in raw.get("choices", []))
    return FormField(name=raw["name"], label=raw.get("label", raw["name"]), type=kind,
                     required=bool(raw.get("required", False)), choices=choices, max_length=raw.get("max_length"),
                     min=raw.get("min"), max=raw.get("max"), help=raw.get("help"), format=raw.get("format"),
                     ask_if=str(raw["ask_if"]) if raw.get("ask_if") is not None else None)


@cache
def _block(name: str) -> dict[str, Any]:
    path = BLOCKS / f"{name}.yaml"
    if "/" in name or ".." in name or not path.is_file():
        raise ValueError(f"unknown field block {name!r} (forms/blocks/<name>.yaml)")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _included(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The blocks named by ``include:`` (shared fields such as 氏名・フリガナ・住所), in order."""
    return [_block(name) for name in raw.get("include", [])]


def included_mapping(raw: dict[str, Any]) -> dict[str, str]:
    """The ``mapping`` of the blocks a form includes; the form's own mapping overrides it."""
    merged: dict[str, str] = {}
    for block in _included(raw):
        merged.update(block.get("mapping") or {})
    return merged


def get(key: str) -> FormDefinition:
    """The definition of form ``key``: deployed from the designer's page (forms.deployed), else the library's."""
    from forms import deployed  # imported here: deployed builds on this module

    return deployed.task_form(key) or _library_form(key)


@cache
def _library_form(key: str) -> FormDefinition:
    """The definition in ``forms/library/<key>/form.yaml``; NotFound if no folder holds it."""
    path = LIBRARY / key / "form.yaml"
    if "/" in key or ".." in key or not path.is_file():
        raise NotFound(f"form {key!r} is not defined", details={"form": key})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    own = raw.get("fields", [])
    names = {f.get("name") for f in own}
    shared = [f for block in _included(raw) for f in block.get("fields", []) if f.get("name") not in names]
    return FormDefinition(key=key, title=raw.get("title", key),
                          fields=tuple(_field_from_yaml(key, f) for f in [*shared, *own]))


def exists(key: str) -> bool:
    try:
        get(key)
    except NotFound:
        return False
    return True


def _marshmallow_field(f: FormField) -> fields.Field:
    common: dict[str, Any] = {"required": f.required, "metadata": {"label": f.label}}
    if not f.required:
        common["load_default"] = None
        common["allow_none"] = True
    if f.type == "integer":
        return fields.Integer(validate=validate.Range(min=f.min, max=f.max), **common)
    if f.type == "date":
        return fields.Date(**common)
    if f.type == "boolean":
        return fields.Boolean(**common)
    if f.type == "choice":
        return fields.String(validate=validate.OneOf([v for v, _ in f.choices]), **common)
    checks: list[Any] = [validate.Length(min=1 if f.required else 0, max=f.max_length)]
    if f.format:
        pattern, message = FORMATS[f.format]
        checks.append(validate.Regexp(pattern, error=message))
    return fields.String(validate=checks, **common)


def schema_for(key: str) -> Schema:
    return _schema(get(key))


@cache
def _schema(definition: FormDefinition) -> Schema:
    key = definition.key
    return Schema.from_dict({f.name: _marshmallow_field(f) for f in definition.fields}, name=f"Form_{key}")()


def validate_data(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validated data as JSON-safe values (dates as ISO strings); Invalid with per-field messages."""
    form = get(key)
    cleaned = {k: (None if v == "" else v) for k, v in data.items() if k in {f.name for f in form.fields}}
    try:
        loaded = schema_for(key).load(cleaned)
    except ValidationError as err:
        raise Invalid("入力内容に誤りがあります", details={"fields": err.messages}) from err
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in loaded.items()}
