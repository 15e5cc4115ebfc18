"""Page input, parsed with marshmallow schemas as the API's is: one place turns a form or query string into values.

A page schema ignores what it does not declare (the CSRF token, buttons); a bad value raises Invalid naming each
field, which the error handlers turn into a 422 page — or the view catches it to show the form again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma

from core.errors import Invalid
from core.i18n import N_, named_messages
from forms.taskforms import MEMBERS, TypedDate

REQUIRED = {"required": "入力してください", "null": "入力してください"}


class PageSchema(ma.Schema):
    """Base of the schemas of page forms and query strings."""

    class Meta:
        unknown = ma.EXCLUDE


def text(*, max_length: int = 200, required: bool = False, **kwargs: Any) -> ma.fields.String:
    """A text field, stripped; empty is ``""`` unless required."""
    default = {} if required else {"load_default": ""}
    return Stripped(required=required, **default, validate=ma.validate.Length(
        min=1 if required else 0, max=max_length, error=f"{max_length}文字以内で入力してください"),
        error_messages=REQUIRED, **kwargs)


def optional_date(label: str = "日付", **kwargs: Any) -> ma.fields.Date:
    """A date as staff type it (ISO, 和暦, full-width: ``core.dates``), empty meaning none."""
    return EmptyNone(load_default=None, allow_none=True, metadata={"label": label}, **kwargs)


def whole_number(*, minimum: int = 0, maximum: int = 100_000, default: int = 0) -> ma.fields.Integer:
    return EmptyNoneInteger(load_default=default, validate=ma.validate.Range(min=minimum, max=maximum,
                            error=f"{minimum}〜{maximum} の数で指定してください"),
                            error_messages={"invalid": "数字で指定してください"})


class Stripped(ma.fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


class EmptyNone(TypedDate):
    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return None if value in ("", None) else super().deserialize(value, attr, data, **kwargs)


class EmptyNoneInteger(ma.fields.Integer):
    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kwargs: Any) -> Any:
        return self.load_default if value in ("", None) else super().deserialize(value, attr, data, **kwargs)


class BackTo(PageSchema):
    """Where a small action (claim, migrate) sends the user back to; see :func:`local_path`."""

    next = Stripped(load_default="", validate=ma.validate.Length(max=500))


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path of this site (``/…``, not ``//host``), else None: a ``next`` parameter must
    never send a user elsewhere."""
    return target if target and target.startswith("/") and not target.startswith(("//", "/\\")) else None


def search_form(search: Callable[[dict[str, Any]], Any], args: Mapping[str, Any],
                schema: type[ma.Schema]) -> tuple[dict[str, str], Any, Invalid | None]:
    """A resident search page's query string: (the fields as typed, the results or None, the refusal or None).

    Nothing is searched until something is typed; a bad field is shown on the page, not as an error page."""
    typed = {name: (args.get(name) or "").strip() for name in schema().fields}
    if not any(typed.values()):
        return typed, None, None
    try:
        return typed, search(parse(schema, args)), None
    except Invalid as err:
        return typed, None, err


def split_members(data: Mapping[str, Any], *, skip: set[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A form's own fields as submitted: (the visit's, the per-person ``members.<id>.<name>`` ones by id) —
    the shape the services take (``{"members": {"<id>": {...}}}`` in the API)."""
    top: dict[str, Any] = {}
    members: dict[str, dict[str, Any]] = {}
    for key in data:
        if key in skip:
            continue
        parts = key.split(".", 2)  # members.<id>.<name>, where a form's own question is <form>.<field>
        if len(parts) == 3 and parts[0] == MEMBERS:
            members.setdefault(parts[1], {})[parts[2]] = data.get(key)
        else:
            top[key] = data.get(key)
    return top, members


def parse(schema: type[ma.Schema], data: Mapping[str, Any], **lists: bool) -> dict[str, Any]:
    """``data`` (``request.form`` or ``request.args``) loaded by ``schema``; Invalid names each bad field.

    ``lists`` names the fields sent several times (checkboxes): ``parse(S, request.form, sections=True)``."""
    raw: dict[str, Any] = {}
    for key in data:
        raw[key] = data.getlist(key) if lists.get(key) and hasattr(data, "getlist") else data.get(key)
    loader = schema()
    try:
        return loader.load(raw)
    except ma.ValidationError as err:
        labels = {name: field.metadata.get("label", name) for name, field in loader.fields.items()}
        raise Invalid(N_("入力内容に誤りがあります"),
                      details={"fields": named_messages(err.messages, labels)}) from err
