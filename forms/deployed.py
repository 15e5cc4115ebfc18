"""Forms deployed from the designer's page, versioned like models: no change to the repository.

A deployed form is a task or interview form drawn with form-js (:mod:`forms.formjs`) and, when it is printed,
its field map and layout (:mod:`forms.printupload`). Each deployment of a changed form is a new version; an
unchanged one is not. The newest version of a key is what :func:`forms.taskforms.get` and
:func:`forms.printforms.get` find first (a deployed form may also take the key of a library form, and is then
the city's own version of it); cases print with whatever is newest when they print, as they do with library forms.

Lookups run on every form read, so they cost one indexed query for the newest id; the definitions are built
once per version. Outside an application (a script that renders the library alone) only library forms exist.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import String, Text, UniqueConstraint, func, inspect
from sqlalchemy.orm import Mapped, mapped_column

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.i18n import N_
from forms import formjs, printupload
from forms.taskforms import FormDefinition, included_mapping

TITLE_MAX = 200


class DeployedForm(db.Model):
    """One version of a form deployed in the browser: its form-js schema, and its printed part if it has one."""

    __tablename__ = "deployed_forms"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_deployed_forms_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    schema_json: Mapped[str] = mapped_column(Text)  # form-js schema, as the editor saved it
    print_json: Mapped[str | None] = mapped_column(Text)  # the checked field map (forms.printupload.parse_map)
    template: Mapped[str | None] = mapped_column(Text)  # the uploaded layout (body of the sheet)
    content_hash: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Deployment:
    form: DeployedForm
    new: bool


def _hash(title: str, schema: Any, print_spec: dict[str, Any] | None, template: str | None) -> str:
    payload = json.dumps([title, schema, print_spec, template], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def latest(key: str) -> DeployedForm | None:
    return db.session.scalar(db.select(DeployedForm).where(DeployedForm.key == key)
                             .order_by(DeployedForm.version.desc()).limit(1))


def versions(key: str) -> list[DeployedForm]:
    return list(db.session.scalars(db.select(DeployedForm).where(DeployedForm.key == key)
                                   .order_by(DeployedForm.version)))


def keys() -> list[str]:
    """Every deployed key, sorted."""
    return sorted(db.session.scalars(db.select(DeployedForm.key).distinct()))


def _refuse(element: str, message: str) -> Invalid:
    return Invalid(message, details={"problems": [{"element": element, "message": message}]})


def _checked(key: str, title: str, schema: Any, print_map: str | None,
             template: str | None) -> tuple[str, dict[str, Any] | None, str | None]:
    """(title, field map, layout) of a form that may be deployed; Invalid says what to fix."""
    if not formjs.KEY.match(key or ""):
        raise _refuse("key", N_("様式のキー「{key}」は使えません。英小文字で始め、英小文字・数字・_ で書いてください"
                                "（例: kouki_join）。", key=key))
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise _refuse("title", N_("様式の名前を 1〜{max} 文字で入れてください。", max=TITLE_MAX))
    own = formjs.fields_from_schema(schema)
    spec = printupload.parse_map(print_map) if print_map and print_map.strip() else None
    body = template if template and template.strip() else None
    if body is not None:
        if spec is None:
            raise _refuse("field_map", N_("レイアウトだけでは印刷できません。"
                                          "項目対応表（procedure など）も入れてください。"))
        printupload.check_template(body)
    if spec is not None:
        _check_print_fields(spec, _fields(own, spec))
    return title, spec, body


def check(*, key: str, title: str, schema: Any, print_map: str | None = None, template: str | None = None) -> None:
    """Invalid when form ``key`` could not be deployed as given; stores nothing."""
    _checked(key, title, schema, print_map, template)


def deploy(*, key: str, title: str, schema: Any, actor: Actor, print_map: str | None = None,
           template: str | None = None) -> Deployment:
    """Check and store a new version of form ``key`` (none when nothing changed); flushed, logged.

    ``print_map`` (YAML) makes it a printed form; ``template`` is its layout (else every field is printed).
    Invalid says what to fix; nothing is stored then."""
    if not actor.has_role("designer"):
        raise Forbidden(N_("様式をデプロイできるのは業務設計担当だけです"))
    title, spec, body = _checked(key, title, schema, print_map, template)
    content_hash = _hash(title, schema, spec, body)
    current = latest(key)
    if current is not None and current.content_hash == content_hash:
        return Deployment(current, new=False)
    row = DeployedForm(key=key, version=(current.version + 1) if current else 1, title=title,
                       schema_json=json.dumps(schema, ensure_ascii=False),
                       print_json=json.dumps(spec, ensure_ascii=False) if spec else None, template=body,
                       content_hash=content_hash, deployed_by=actor.username)
    db.session.add(row)
    db.session.flush()
    forget()
    audit.record(actor=actor, action="form.deploy", target_type="form", target_id=f"{key}@{row.version}",
                 details={"hash": content_hash, "printed": spec is not None})
    return Deployment(row, new=True)


def _fields(own: tuple[Any, ...], spec: dict[str, Any] | None) -> tuple[Any, ...]:
    """The shared blocks' fields (those the form does not define itself), then the form's own, as form.yaml."""
    names = {f.name for f in own}
    shared = [f for block in (spec or {}).get("include", []) for f in formjs.block_fields(block) if f.name not in names]
    return (*shared, *own)


def _check_print_fields(spec: dict[str, Any], fields: tuple[Any, ...]) -> None:
    names = {f.name for f in fields}
    unknown = sorted(set(spec["mapping"]) - names)
    if unknown:
        raise _refuse("mapping", N_("mapping の {names} は様式にない項目です。"
                                    "様式に部品を加えるか、mapping から外してください。", names=", ".join(unknown)))


# -- lookups (forms.taskforms.get / forms.printforms.get) ---------------------------------------------------
_lock = threading.Lock()
_built: dict[tuple[int, str], tuple[FormDefinition, Any]] = {}


# The newest (id, hash) of every deployed key, per database, for a few seconds: form lookups run several times per
# request (a task's completion reads its form twice), and most ask for library forms, which this answers without a
# query. A deployment in this process forgets it at once; other processes see a new version within MEMO_SECONDS.
MEMO_SECONDS = 5.0
_memo: dict[str, tuple[float, dict[str, tuple[int, str]]]] = {}
_tables: set[str] = set()


def forget() -> None:
    """Drop the memo of newest versions (after a deployment)."""
    with _lock:
        _memo.clear()


def _newest_by_key() -> dict[str, tuple[int, str]]:
    url = str(db.engine.url)
    cached = _memo.get(url)
    if cached is not None and time.monotonic() - cached[0] < MEMO_SECONDS:
        return cached[1]
    found: dict[str, tuple[int, str]] = {}
    if _has_table():
        newest = db.select(func.max(DeployedForm.id)).group_by(DeployedForm.key).scalar_subquery()
        rows = db.session.execute(db.select(DeployedForm.key, DeployedForm.id, DeployedForm.content_hash)
                                  .where(DeployedForm.id.in_(newest)))
        found = {key: (form_id, digest) for key, form_id, digest in rows}
    with _lock:
        _memo[url] = (time.monotonic(), found)
    return found


def _has_table() -> bool:
    """Whether this database has been upgraded to hold deployed forms (a command may run on one that is not yet)."""
    url = str(db.engine.url)
    if url not in _tables and inspect(db.engine).has_table(DeployedForm.__tablename__):
        _tables.add(url)
    return url in _tables


def _build(newest: tuple[int, str]) -> tuple[FormDefinition, Any] | None:
    """The definition (and printed form) of one version, built once: (id, hash) names its content. None when the
    memo was stale (the row is gone or says something else)."""
    with _lock:
        if newest in _built:
            return _built[newest]
    row = db.session.get(DeployedForm, newest[0])
    if row is None or row.content_hash != newest[1]:
        return None
    spec = json.loads(row.print_json) if row.print_json else None
    definition = FormDefinition(key=row.key, title=row.title,
                                fields=_fields(formjs.fields_from_schema(json.loads(row.schema_json)), spec))
    printed = _print_form(row, definition, spec) if spec else None
    with _lock:
        _built[newest] = (definition, printed)
    return definition, printed


def _lookup(key: str) -> tuple[FormDefinition, Any] | None:
    try:
        newest = _newest_by_key().get(key)
        built = _build(newest) if newest is not None else None
        if newest is not None and built is None:  # a stale memo: ask the database again
            forget()
            newest = _newest_by_key().get(key)
            built = _build(newest) if newest is not None else None
    except RuntimeError:  # no application context: a script working on the library alone
        return None
    return built


def _print_form(row: DeployedForm, definition: FormDefinition, spec: dict[str, Any]) -> Any:
    from forms.printforms import PrintForm, RpaColumn

    mapping = dict(included_mapping(spec))
    mapping.update(spec["mapping"])
    # The name says which content it is (the sandbox caches templates by name, across databases in one process).
    name = f"{printupload.PREFIX}{row.key}@{row.version}#{row.content_hash[:16]}"
    template = name if row.template else "generic.html"
    return PrintForm(key=row.key, title=definition.title, procedure=spec["procedure"], per=spec["per"],
                     mapping=mapping, template=template, digits=spec["print"]["digits"],
                     members=spec["print"]["members"], guide=spec["guide"],
                     rpa=tuple(RpaColumn(header=str(c["header"]), value=str(c["value"]))
                               for c in spec["rpa"]["columns"]), defaults=dict(spec.get("defaults") or {}))


def task_form(key: str) -> FormDefinition | None:
    """The newest deployed definition of ``key``, or None (then the library's form.yaml is used)."""
    found = _lookup(key)
    return found[0] if found else None


def print_form(key: str) -> Any:
    """The newest deployed printed form ``key`` (a :class:`forms.printforms.PrintForm`), or None when ``key`` is not
    deployed, or its newest version is a task form only (then the library decides)."""
    found = _lookup(key)
    return found[1] if found else None


def render_template(name: str, context: dict[str, Any]) -> str:
    """The HTML of the uploaded layout ``deployed:<key>@<version>#<hash>`` (see :mod:`forms.printupload`)."""
    key, _, rest = name.removeprefix(printupload.PREFIX).partition("@")
    version, _, digest = rest.partition("#")
    row = db.session.scalar(db.select(DeployedForm).where(DeployedForm.key == key,
                                                          DeployedForm.version == int(version)))
    if row is None or row.template is None or not row.content_hash.startswith(digest):
        raise NotFound(N_("様式 {form} 第{version}版のレイアウトがありません", form=key, version=version),
                       details={"form": key})
    return printupload.render(name, row.template, context)


# -- opening a form in the editor --------------------------------------------------------------------------
_PRINT_KEYS = ("procedure", "per", "include", "mapping", "defaults", "print", "guide", "rpa")
_BODY = re.compile(r"{%-?\s*block body\s*-?%}(.*){%-?\s*endblock\s*-?%}", re.S)


def editable(key: str) -> dict[str, Any]:
    """What the form editor opens for ``key``: the newest deployed version, else the library's form (its fields
    as a form-js schema, its printed part as a field map and the body of its print.html), else an empty form."""
    if not formjs.KEY.match(key or ""):
        raise Invalid(N_("様式のキー「{key}」は使えません。英小文字で始め、英小文字・数字・_ で書いてください。",
                         key=key),
                      details={"key": key})
    row = latest(key)
    if row is not None:
        spec = json.loads(row.print_json) if row.print_json else None
        return {"key": key, "title": row.title, "schema": json.loads(row.schema_json), "version": row.version,
                "origin": "deployed", "print_map": _yaml(spec) if spec else "", "template": row.template or ""}
    from forms import taskforms

    if not taskforms.exists(key):
        return {"key": key, "title": "", "schema": formjs.schema_from_fields(key, ()), "version": 0,
                "origin": "new", "print_map": "", "template": ""}
    raw = yaml.safe_load((taskforms.LIBRARY / key / "form.yaml").read_text(encoding="utf-8")) or {}
    definition = taskforms.get(key)
    printed = raw.get("procedure") is not None
    own = tuple(f for f in definition.fields if not printed or f.name in {r.get("name") for r in raw.get("fields", [])})
    layout = taskforms.LIBRARY / key / (raw.get("print") or {}).get("template", "print.html")
    body = _BODY.search(layout.read_text(encoding="utf-8")) if printed and layout.is_file() else None
    return {"key": key, "title": definition.title, "schema": formjs.schema_from_fields(key, own), "version": 0,
            "origin": "library", "print_map": _yaml({k: raw[k] for k in _PRINT_KEYS if k in raw}) if printed else "",
            "template": body.group(1).strip("\n") if body else ""}


def _yaml(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
