"""Printed application forms (様式): the parts of ``forms/library/<key>/form.yaml`` beyond the task fields.

A printed form's ``form.yaml`` adds to the fields that :mod:`forms.taskforms` reads:

- ``procedure`` — the DOMAIN.md procedure code it belongs to (``kokuho.join``); ``per`` — ``visit`` (one
  form for the visit, default) or ``member`` (one per person the procedure is about);
- ``mapping`` — field name → a dotted path into the render context (``subject.name``, ``answers.moved_in_on``,
  ``household.head_name``); a path ``answers.<key>`` is an answer the visit shares between its forms, a path
  ``person.<field>`` one a person's forms share (asked once per person: a 手帳番号); a field
  without a mapping is the form's own question, answered as ``answers["<form key>.<field>"]`` (:func:`own_answer`;
  an answer of the field's bare name is read too);
- ``defaults`` — field name → a dotted context path whose value the counter's question starts with (the 届出人's
  name as the 年金 届出者, the event as a 印鑑登録 廃止の理由), or ``{path, values}`` to translate it (the event
  ``shibo`` → a 手帳's ``return``): still asked, the clerk confirms or changes it;
- ``print`` — ``template`` (default ``print.html`` in the folder), ``digits`` (``fullwidth`` for forms that
  print 全角数字), ``members`` (max rows of the member table);
- ``guide`` — what the procedure guide says: ``where``, ``bring`` (list), ``note``;
- ``rpa`` — ``columns``: ``{header, value}`` with ``value`` a field name or a dotted context path; the CSV layout
  for the robot (docs/rpa-layouts.md is generated from it).

Adding a form is adding a folder; nothing here names a form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import yaml

from core.errors import NotFound
from core.i18n import N_
from forms import taskforms


@dataclass(frozen=True)
class RpaColumn:
    header: str
    value: str


@dataclass(frozen=True)
class PrintForm:
    key: str
    title: str
    procedure: str
    per: str
    mapping: dict[str, str]
    template: str
    digits: str
    members: int
    guide: dict[str, Any] = field(default_factory=dict)
    rpa: tuple[RpaColumn, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)

    @property
    def definition(self) -> taskforms.FormDefinition:
        return taskforms.get(self.key)


def _raw(key: str) -> dict[str, Any]:
    taskforms.get(key)  # NotFound for an unknown or unsafe key
    return yaml.safe_load((taskforms.LIBRARY / key / "form.yaml").read_text(encoding="utf-8")) or {}


def get(key: str) -> PrintForm:
    """The printed form ``key``: deployed from the designer's page (forms.deployed), else the library's."""
    from forms import deployed  # imported here: deployed builds on this module

    return deployed.print_form(key) or _library_print_form(key)


@cache
def _library_print_form(key: str) -> PrintForm:
    """The printed form of ``forms/library/<key>``; NotFound when the folder has no ``procedure`` (a task-only form)."""
    raw = _raw(key)
    if not raw.get("procedure"):
        raise NotFound(N_("様式 {form} は印刷する様式ではありません", form=key), details={"form": key})
    mapping = dict(taskforms.included_mapping(raw))
    mapping.update(raw.get("mapping") or {})
    printing = raw.get("print") or {}
    template = printing.get("template", "print.html")
    if "/" in template or ".." in template:
        raise ValueError(f"form {key}: print.template must be a file of its folder")
    if not (taskforms.LIBRARY / key / template).is_file():
        template = "generic.html"
    columns = tuple(RpaColumn(header=str(c["header"]), value=str(c["value"]))
                    for c in (raw.get("rpa") or {}).get("columns", []))
    per = raw.get("per", "visit")
    if per not in {"visit", "member"}:
        raise ValueError(f"form {key}: per must be visit or member")
    return PrintForm(key=key, title=raw.get("title", key), procedure=raw["procedure"], per=per, mapping=mapping,
                     template=f"{key}/{template}" if template != "generic.html" else template,
                     digits=printing.get("digits", "ascii"), members=int(printing.get("members", 6)),
                     guide=raw.get("guide") or {}, rpa=columns, defaults=dict(raw.get("defaults") or {}))


def all_keys() -> list[str]:
    """Every printed form in the library, sorted."""
    keys = []
    for path in sorted(taskforms.LIBRARY.glob("*/form.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if raw.get("procedure"):
            keys.append(path.parent.name)
    return keys


def for_procedure(code: str) -> list[PrintForm]:
    """The printed forms of a procedure code (``juki.tennyu`` → the forms whose ``procedure`` is it)."""
    return [get(k) for k in all_keys() if get(k).procedure == code]


@dataclass(frozen=True)
class DefaultSource:
    """A ``defaults`` entry read once: the context path it reads, and ``values`` translating what it holds or
    ``paths`` naming the path to read for it; ``valid`` is False for a dict entry whose table is no mapping."""

    path: str
    values: dict[str, Any] | None = None
    paths: dict[str, Any] | None = None
    valid: bool = True


def default_source(spec: Any) -> DefaultSource:
    """A ``defaults`` entry: a path (``applicant.name``), ``{path, values}`` (``{path: case.event, values: {shibo:
    return}}``) or ``{path, paths}`` (the value chooses the path to read: ``{path: case.event, paths: {tenkyo:
    subject.address_line}}``)."""
    if not isinstance(spec, dict):
        return DefaultSource(str(spec))
    kind = "paths" if "paths" in spec else "values"
    table = spec.get(kind, {})
    if not isinstance(table, dict):
        return DefaultSource(str(spec.get("path", "")), valid=False)
    return DefaultSource(str(spec.get("path", "")), **{kind: table})


def default_value(spec: Any, context: dict[str, Any]) -> Any:
    """What a ``defaults`` entry gives in ``context``: the path's value, translated by ``values``, or read from
    the path ``paths`` names for it (a 変更前: the address on a move, the name on a marriage); None when it
    names nothing for the value."""
    source = default_source(spec)
    value = resolve(context, source.path)
    if source.paths is not None:
        chosen = source.paths.get(str(value))
        return resolve(context, str(chosen)) if chosen else None
    return source.values.get(str(value)) if source.values is not None else value


ANSWER_PREFIX = "answers."  # a mapping to an answer of the visit, shared by its forms (workflows.visit.answers)
PERSON_PREFIX = "person."  # a mapping to the person's own answer, shared by their forms


def answer_key(path: str) -> str | None:
    """The answer a mapped ``path`` reads (``answers.<key>``: the visit's, ``person.<field>``: the person's), None
    for a path the resident DB or the visit fills."""
    for prefix in (ANSWER_PREFIX, PERSON_PREFIX):
        if path.startswith(prefix):
            return path.removeprefix(prefix)
    return None


def resolve(context: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of the context (``subject.name``); None when any step is missing."""
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def values_for(form: PrintForm, context: dict[str, Any]) -> dict[str, Any]:
    """The form's field values: mapped from the context, else the interview answer of the same name; validated."""
    return taskforms.validate_data(form.key, raw_values(form, context))


def own_answer(form: PrintForm, name: str) -> str:
    """The answer key of a field that no mapping fills: the form's own question."""
    return f"{form.key}.{name}"


def raw_values(form: PrintForm, context: dict[str, Any]) -> dict[str, Any]:
    """The form's field values as mapped, not validated (the RPA export keys what there is)."""
    raw: dict[str, Any] = {}
    answers = context["answers"]
    for f in form.definition.fields:
        path = form.mapping.get(f.name)
        value = resolve(context, path) if path else answers.get(own_answer(form, f.name), answers.get(f.name))
        if isinstance(value, date):
            value = value.isoformat()
        elif f.type in {"string", "text"} and value is not None and not isinstance(value, str):
            value = str(value)
        raw[f.name] = value
    return raw
