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

from core import dates
from core.errors import Invalid, NotFound
from core.i18n import N_, named_messages

LIBRARY = Path(__file__).resolve().parent / "library"
BLOCKS = Path(__file__).resolve().parent / "blocks"
FIELD_TYPES = {"string", "text", "integer", "date", "boolean", "choice"}
SCOPES = {"case", "task"}
MEMBERS = "members"  # the key of the per-person answers in a task's data: {"<resident id>": {field: value}}
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
    # Need to know (docs/security.md): ``visible_to`` — the only sections that see the value (e.g. a bank account:
    # the paying section); ``location`` — the value tells where the person lives (支援措置 masks it).
    visible_to: tuple[str, ...] = ()
    location: bool = False
    # ``member``: asked once per person concerned (``members.<id>.<name>`` in the data), not once for the form;
    # ``member_if`` (a sandbox expression over the person's facts, e.g. ``age >= 15``) says of whom, and
    # ``not_asked`` is the message when an answer is given for someone it is not asked of.
    per: str = "visit"
    member_if: str | None = None
    not_asked: str | None = None


@dataclass(frozen=True)
class FormMember:
    """A person a form's per-person questions are asked of, and which of them."""

    id: int
    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class FormDefinition:
    """A task form. ``scope``: ``case`` (its answers are the journey's: gateways and later steps read them) or
    ``task`` (they stay with the task: stored on its row, never merged into the case, so no other task's form
    starts from them). ``collect``: a key under which the answers are also kept together (``answers``: what
    the determination reads). ``members``: who the per-person fields are asked of on this task (filled in by
    the service that shows the form, e.g. the interview). ``at_least_one``: groups of boolean fields of which one
    must be ticked, each with the message shown on its first field (a 証明書交付 asks for at least one
    certificate: a visit for none would determine nothing and print nothing)."""

    key: str
    title: str
    fields: tuple[FormField, ...] = field(default=())
    scope: str = "case"
    collect: str | None = None
    members: tuple[FormMember, ...] = ()
    at_least_one: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def visit_fields(self) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.per != "member")

    @property
    def member_fields(self) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.per == "member")


def _field_from_yaml(key: str, raw: dict[str, Any]) -> FormField:
    kind = raw.get("type", "string")
    if kind not in FIELD_TYPES or not raw.get("name"):
        raise ValueError(f"form {key}: field {raw!r} needs a name and a type in {sorted(FIELD_TYPES)}")
    if raw.get("format") is not None and raw["format"] not in FORMATS:
        raise ValueError(f"form {key}: field {raw['name']} has unknown format {raw['format']!r}")
    if raw.get("per", "visit") not in {"visit", "member"}:
        raise ValueError(f"form {key}: field {raw['name']} has per {raw['per']!r} (visit or member)")
    choices = tuple((str(c["value"]), str(c.get("label", c["value"]))) for c in raw.get("choices", []))
    return FormField(name=raw["name"], label=raw.get("label", raw["name"]), type=kind,
                     required=bool(raw.get("required", False)), choices=choices, max_length=raw.get("max_length"),
                     min=raw.get("min"), max=raw.get("max"), help=raw.get("help"), format=raw.get("format"),
                     ask_if=str(raw["ask_if"]) if raw.get("ask_if") is not None else None,
                     visible_to=tuple(str(s) for s in raw.get("visible_to", ())), location=bool(raw.get("location")),
                     per=raw.get("per", "visit"), member_if=raw.get("member_if"), not_asked=raw.get("not_asked"))


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
        raise NotFound(N_("様式 {form} は定義されていません", form=key), details={"form": key})
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    own = raw.get("fields", [])
    names = {f.get("name") for f in own}
    shared = [f for block in _included(raw) for f in block.get("fields", []) if f.get("name") not in names]
    scope = raw.get("scope", "case")
    if scope not in SCOPES:
        raise ValueError(f"form {key}: scope {scope!r} (one of {sorted(SCOPES)})")
    fields_ = tuple(_field_from_yaml(key, f) for f in [*shared, *own])
    return FormDefinition(key=key, title=raw.get("title", key), scope=scope, collect=raw.get("collect"),
                          fields=fields_, at_least_one=_groups(key, raw.get("at_least_one") or [], fields_))


def _groups(key: str, raw: list[dict[str, Any]],
            fields_: tuple[FormField, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The ``at_least_one`` groups; a group naming anything but the form's own boolean fields is a mistake."""
    booleans = {f.name for f in fields_ if f.type == "boolean" and f.per == "visit"}
    groups = []
    for group in raw:
        names = tuple(str(n) for n in group.get("fields") or ())
        if not names or not set(names) <= booleans or not group.get("message"):
            raise ValueError(f"form {key}: at_least_one {group!r} needs a message and the form's boolean fields")
        groups.append((names, str(group["message"])))
    return tuple(groups)


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
        return TypedDate(**common)
    if f.type == "boolean":
        return fields.Boolean(**common)
    if f.type == "choice":
        return fields.String(validate=validate.OneOf([v for v, _ in f.choices]), **common)
    checks: list[Any] = [validate.Length(min=1 if f.required else 0, max=f.max_length)]
    if f.format:
        pattern, message = FORMATS[f.format]
        checks.append(validate.Regexp(pattern, error=message))
    return fields.String(validate=checks, **common)


class TypedDate(fields.Date):
    """A date as staff type it — ISO, 和暦, full-width (:mod:`core.dates`); the error says why not."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        try:
            return dates.parse_date(value)
        except dates.DateError as err:
            raise ValidationError(err.message) from None


@cache
def _schema(fields_: tuple[FormField, ...], name: str) -> Schema:
    return Schema.from_dict({f.name: _marshmallow_field(f) for f in fields_}, name=f"Form_{name}")()


def schema_for(key: str) -> Schema:
    """The schema of form ``key``'s fields as one form (the printed forms validate their values with it)."""
    definition = get(key)
    return _schema(definition.fields, key)


def _load(fields_: tuple[FormField, ...], name: str, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields_}
    cleaned = {k: (None if v == "" else v) for k, v in data.items() if k in names}
    loaded = _schema(fields_, name).load(cleaned)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in loaded.items()}


def validate_data(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validated data as JSON-safe values (dates as ISO strings); Invalid with per-field messages."""
    try:
        return _load(get(key).fields, key, data)
    except ValidationError as err:
        fields_named = _named(get(key).fields, err.messages)
        raise Invalid(N_("入力内容に誤りがあります"), details={"fields": fields_named}) from err


def _named(fields_: tuple[FormField, ...], messages: dict[str, Any]) -> dict[str, Any]:
    """The messages in Japanese (marshmallow's own through the catalogue), each naming its field's label."""
    return named_messages(messages, {f.name: f.label for f in fields_})


def validate_task(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked against the form as a task shows it: its fields, and the per-person fields under
    ``members`` for exactly the people the form asks them of. An answer for anyone else — or a question not
    asked of that person (a 印鑑登録 for a child) — is refused with the field's ``not_asked`` message.
    Every asked person gets an entry (an unticked box is ``None``); ``collect`` keeps the answers together."""
    errors: dict[str, Any] = {}
    try:
        cleaned = _load(form.visit_fields, form.key, data)
    except ValidationError as err:
        cleaned, errors = {}, dict(err.messages)
    for names, message in form.at_least_one:
        if not any(_ticked(data.get(n)) for n in names) and not any(n in errors for n in names):
            errors[names[0]] = [message]
    per_person = form.member_fields
    misplaced = [f.name for f in per_person if data.get(f.name) not in (None, "")]
    errors.update({name: [f"人ごとに答える質問です（{MEMBERS}.<住民のID>.{name}）"] for name in misplaced})
    given = data.get(MEMBERS) or {}
    if per_person or given:
        cleaned[MEMBERS] = _members(form, per_person, given if isinstance(given, dict) else {}, errors)
    if errors:
        raise Invalid(N_("入力内容に誤りがあります"), details={"fields": _named(form.fields, errors)})
    if form.collect:
        cleaned[form.collect] = {k: v for k, v in cleaned.items() if k != MEMBERS}
    return cleaned


def _ticked(value: Any) -> bool:
    """Whether a boolean field's submitted value says yes, as marshmallow reads it (``on``, ``true``, 1…)."""
    return isinstance(value, str | bool | int) and value in fields.Boolean.truthy


def _members(form: FormDefinition, per_person: tuple[FormField, ...], given: dict[Any, Any],
             errors: dict[str, Any]) -> dict[str, dict[str, Any]]:
    asked = {str(m.id): m for m in form.members}
    by_name = {f.name: f for f in per_person}
    out: dict[str, dict[str, Any]] = {}
    for key, answers in given.items():
        member = asked.get(str(key))
        for name, value in (answers or {}).items() if isinstance(answers, dict) else []:
            if value in (None, "", False, "false"):
                continue
            if member is None or name not in member.fields:
                field_ = by_name.get(name)
                why = field_.not_asked if field_ and field_.not_asked else "この方には伺わない事項です"
                errors[f"{MEMBERS}.{key}.{name}"] = [why]
    for key, member in asked.items():
        fields_ = tuple(by_name[n] for n in member.fields if n in by_name)
        answers = given.get(key) if isinstance(given.get(key), dict) else {}
        try:
            out[key] = _load(fields_, f"{form.key}_member", answers)
        except ValidationError as err:
            errors.update({f"{MEMBERS}.{key}.{name}": msgs for name, msgs in err.messages.items()})
    return out
