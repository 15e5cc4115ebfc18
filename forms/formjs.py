"""Task and interview forms drawn in the browser with form-js (the bpmn.io form editor), as Madoguchi's fields.

form-js writes a JSON schema of components; a task form is a list of :class:`forms.taskforms.FormField`. Both
directions are here, so the designer can open a library form (``forms/library/<key>/form.yaml``) in the editor
and a deployed schema drives the task page and the marshmallow validation exactly as a ``form.yaml`` does:

=================  ===============  =====================================================================
form-js component  field type       carried over
=================  ===============  =====================================================================
textfield          string           label, key, description (help), validate.required/maxLength,
                                    properties.format (postal, kana, phone, digits, partial_date)
textarea           text             label, key, description, validate.required/maxLength
number             integer          validate.min/max
datetime (date)    date
checkbox           boolean
select, radio      choice           values (value, label)
text               —                presentation only (not a field)
=================  ===============  =====================================================================

``properties.ask_if`` (a form-js custom property) is the interview's "when to ask" expression. Anything else is
refused with the component it is about and what to use instead, so no field is silently lost.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.errors import Invalid
from core.i18n import N_
from forms.taskforms import BLOCKS, FORMATS, FormField

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TYPES = {"textfield": "string", "textarea": "text", "number": "integer", "datetime": "date", "checkbox": "boolean",
          "select": "choice", "radio": "choice"}
_PRESENTATION = {"text", "spacer", "separator", "html"}
SCHEMA_VERSION = 16  # form-js 1.x


def _fail(where: str, message: str) -> Invalid:
    text = N_("{where}: {message}", where=where, message=message)
    return Invalid(text, details={"problems": [{"element": where, "message": text}]})


def _field(component: dict[str, Any], number: int, seen: set[str]) -> FormField | None:
    kind = component.get("type")
    where = N_("部品 {number}（{label}）", number=number, label=component.get("label") or component.get("key") or kind)
    if kind in _PRESENTATION:
        return None
    if kind not in _TYPES:
        raise _fail(where, N_("部品の種類「{kind}」は様式に使えません。文字・数値・日付・チェックボックス・"
                              "選択リスト・ラジオボタンのどれかにしてください。", kind=kind))
    if kind == "datetime" and component.get("subtype", "date") != "date":
        raise _fail(where, N_("日時の部品は「日付のみ」（subtype: date）にしてください。"))
    name = str(component.get("key") or "")
    if not KEY.match(name):
        raise _fail(where, N_("キー「{name}」は変数名として使えません。"
                              "英小文字で始め、英小文字・数字・_ だけで書いてください。", name=name))
    if name in seen:
        raise _fail(where, N_("キー「{name}」が重複しています。部品ごとに別のキーにしてください。", name=name))
    seen.add(name)
    checks = component.get("validate") or {}
    props = component.get("properties") or {}
    fmt = props.get("format") or None
    if fmt is not None and fmt not in FORMATS:
        raise _fail(where, N_("書式「{format}」はありません（使えるもの: {names}）。", format=fmt,
                              names=", ".join(sorted(FORMATS))))
    choices = tuple((str(v.get("value")), str(v.get("label", v.get("value")))) for v in component.get("values") or [])
    if _TYPES[kind] == "choice" and not choices:
        raise _fail(where, N_("選択肢がありません。プロパティの「選択肢」で値と見出しを入れてください。"))
    label = component.get("dateLabel") if kind == "datetime" else component.get("label")  # form-js's date label
    return FormField(name=name, label=str(label or component.get("label") or name), type=_TYPES[kind],
                     required=bool(checks.get("required")), choices=choices,
                     max_length=_int(checks.get("maxLength")), min=_int(checks.get("min")),
                     max=_int(checks.get("max")), help=component.get("description") or None, format=fmt,
                     ask_if=str(props["ask_if"]) if props.get("ask_if") else None)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def fields_from_schema(schema: Any) -> tuple[FormField, ...]:
    """The fields of a form-js schema, in order; Invalid names the component and how to fix it."""
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        message = N_("様式の形式が正しくありません（form-js の schema に components がありません）。"
                     "編集画面から保存し直してください。")
        raise Invalid(message, details={"problems": [{"element": "schema", "message": message}]})
    seen: set[str] = set()
    found = [_field(c, n, seen) for n, c in enumerate(_flat(schema["components"]), start=1)]
    fields = tuple(f for f in found if f is not None)
    if len(fields) > 200:
        message = N_("部品が多すぎます（200 まで）。様式を分けてください。")
        raise Invalid(message, details={"problems": [{"element": "schema", "message": message}]})
    return fields


def _flat(components: list[Any]) -> list[dict[str, Any]]:
    """Components inside groups are fields like the others (a group only lays them out)."""
    flat: list[dict[str, Any]] = []
    for c in components:
        if not isinstance(c, dict):
            continue
        if c.get("type") in ("group", "dynamiclist", "iframe", "table"):
            if c.get("type") != "group":
                raise _fail(N_("部品（{label}）", label=c.get("label") or c.get("type")),
                            N_("この種類の部品は様式に使えません。外してください。"))
            flat.extend(_flat(c.get("components") or []))
        else:
            flat.append(c)
    return flat


def _component(f: FormField, number: int) -> dict[str, Any]:
    kind = {v: k for k, v in _TYPES.items() if k != "radio"}[f.type]
    component: dict[str, Any] = {"id": f"Field_{number}", "type": kind, "key": f.name, "label": f.label}
    checks = {k: v for k, v in {"required": f.required or None, "maxLength": f.max_length, "min": f.min,
                                "max": f.max}.items() if v is not None}
    if checks:
        component["validate"] = checks
    if f.help:
        component["description"] = f.help
    if f.type == "date":
        component.update(subtype="date", dateLabel=f.label)
    if f.choices:
        component["values"] = [{"value": v, "label": label} for v, label in f.choices]
    props = {k: v for k, v in {"format": f.format, "ask_if": f.ask_if}.items() if v}
    if props:
        component["properties"] = props
    return component


def schema_from_fields(key: str, fields: tuple[FormField, ...]) -> dict[str, Any]:
    """A form-js schema showing ``fields`` (to open a library form in the editor)."""
    return {"type": "default", "id": key, "schemaVersion": SCHEMA_VERSION,
            "components": [_component(f, n) for n, f in enumerate(fields, start=1)]}


def block_fields(name: str) -> tuple[FormField, ...]:
    """The fields of a shared block (``forms/blocks/<name>.yaml``: person, household, applicant)."""
    raw = yaml.safe_load((BLOCKS / f"{name}.yaml").read_text(encoding="utf-8")) or {}
    return tuple(FormField(name=f["name"], label=f.get("label", f["name"]), type=f.get("type", "string"),
                           required=bool(f.get("required", False)),
                           choices=tuple((str(c["value"]), str(c.get("label", c["value"])))
                                         for c in f.get("choices", [])),
                           max_length=f.get("max_length"), min=f.get("min"), max=f.get("max"), help=f.get("help"),
                           format=f.get("format")) for f in raw.get("fields", []))
