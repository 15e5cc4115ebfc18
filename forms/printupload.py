"""A printed form uploaded through the designer's page: its field map (YAML) and, optionally, its layout.

The field map says what a ``form.yaml`` says beyond the fields (see :mod:`forms.printforms`): ``procedure``,
``per``, ``include`` (shared blocks such as person, household, applicant), ``mapping``, ``print`` (digits,
members), ``guide`` and ``rpa``. The layout is the body of the sheet — the rows between the form's title and the
signature box — written with the macros of ``forms/print/macros.html`` (``m.row``, ``m.name_box``, …); without
one the form prints every field (``generic.html``). The frame (title, 届出日, 受付番号, signature, 受付欄) is
always the city's own ``base.html``.

An uploaded layout is not trusted: it is rendered in Jinja's immutable sandbox (no attribute of Python objects
beyond the data, no ``__class__`` escapes), and what it renders is cut down to the tags and attributes a form
needs before WeasyPrint sees it — no links, scripts, styles or frames, images only as ``data:`` URIs, inline
styles only as plain ``property: value`` — so it cannot make the PDF fetch or embed a file of the server.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import lxml.html
import yaml
from jinja2 import ChoiceLoader, FileSystemLoader, FunctionLoader, StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.errors import Invalid
from core.i18n import N_
from forms import printforms

MAX_TEMPLATE_BYTES = 200_000
MAX_MAP_BYTES = 100_000
PROCEDURE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
PATH = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$")
BLOCKS = {"person", "household", "applicant"}
PREFIX = "deployed:"
_ALLOWED_TAGS = {"html", "head", "meta", "title", "body", "div", "p", "span", "h1", "h2", "h3", "h4", "table", "thead",
                 "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup", "col", "br", "strong", "em", "b", "i",
                 "small", "ul", "ol", "li", "img", "section", "header", "footer", "hr"}
_DROPPED = {"script", "style", "link", "object", "embed", "iframe", "frame", "frameset", "svg", "math", "base",
            "video", "audio", "source", "track", "picture", "template", "noscript", "canvas", "input", "textarea",
            "select", "button", "form"}
_ALLOWED_ATTRIBUTES = {"class", "colspan", "rowspan", "style", "lang", "charset", "alt", "src", "width", "height"}
_PLAIN_STYLE = re.compile(r"^\s*([a-z-]+\s*:\s*[-#%.,a-z0-9 ]+;?\s*)*$", re.I)


def _invalid(message: str, field: str) -> Invalid:
    return Invalid(message, details={"problems": [{"element": field, "message": message}], "field": field})


def _load(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8")) > MAX_MAP_BYTES:
        raise _invalid(N_("項目対応表が大きすぎます（{max} バイトまで）。", max=f"{MAX_MAP_BYTES:,}"), "field_map")
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = N_("{line}行目: ", line=line + 1) if line is not None else ""
        raise _invalid(N_("項目対応表を YAML として読めません（{where}{error}）。「キー: 値」の形で書いてください。",
                          where=where, error=err), "field_map") from err
    if not isinstance(raw, dict):
        raise _invalid(N_("項目対応表は「procedure: …」などのキーと値で書いてください。"), "field_map")
    unknown = set(raw) - {"procedure", "per", "include", "mapping", "defaults", "print", "guide", "rpa"}
    if unknown:
        raise _invalid(N_("項目対応表の {names} は使えません（使えるもの: procedure, per, include, mapping, defaults, "
                          "print, guide, rpa）。", names=", ".join(sorted(unknown))), "field_map")
    return raw


def _check_who(raw: dict[str, Any]) -> None:
    if not PROCEDURE.match(str(raw.get("procedure") or "")):
        raise _invalid(N_("procedure に手続コードを書いてください"
                          "（例: kouki.join。判定表の「手続コード」と同じもの）。"),
                       "procedure")
    if raw.get("per", "visit") not in ("visit", "member"):
        raise _invalid(N_("per は visit（来庁ごとに 1 枚）か member（対象者ごとに 1 枚）にしてください。"), "per")
    include = raw.get("include") or []
    if not isinstance(include, list) or not set(include) <= BLOCKS:
        raise _invalid(N_("include は {names} から選んでください（例: [person, applicant]）。",
                          names=", ".join(sorted(BLOCKS))), "include")


def _check_mapping(mapping: Any) -> None:
    if not isinstance(mapping, dict):
        raise _invalid(N_("mapping は「項目名: 差し込む値」の形で書いてください"
                          "（例: join_date: answers.event_date）。"),
                       "mapping")
    for name, path in mapping.items():
        if not PATH.match(str(path)):
            raise _invalid(N_("mapping の {name}: 「{path}」は差し込む値の場所として読めません。subject.name や "
                              "answers.event_date の形で書いてください。", name=name, path=path), "mapping")


def _check_defaults(defaults: Any) -> None:
    """``defaults``: 項目名 → a context path, or ``{path, values}`` translating what the path holds."""
    if not isinstance(defaults, dict):
        raise _invalid(N_("defaults は「項目名: 初期値の場所」の形で書いてください"
                          "（例: claimant_name: applicant.name）。"), "defaults")
    for name, spec in defaults.items():
        source = printforms.default_source(spec)
        if not source.valid or not all(PATH.match(str(p)) for p in (source.path, *(source.paths or {}).values())):
            raise _invalid(N_("defaults の {name} は applicant.name の形か、{{path: case.event, values: {{shibo: "
                              "return}}}} または {{path: case.event, paths: {{tenkyo: subject.address_line}}}} の形で"
                              "書いてください。", name=name), "defaults")


def _check_output(raw: dict[str, Any]) -> list[Any]:
    printing = raw.get("print") or {}
    if not isinstance(printing, dict) or printing.get("digits", "ascii") not in ("ascii", "fullwidth"):
        raise _invalid(N_("print.digits は ascii か fullwidth にしてください。"), "print")
    guide = raw.get("guide") or {}
    if not isinstance(guide, dict) or not isinstance(guide.get("bring", []), list):
        raise _invalid(N_("guide は where（窓口）、bring（持ち物の一覧）、note（注意）で書いてください。"), "guide")
    rpa = raw.get("rpa") or {}
    columns = rpa.get("columns", []) if isinstance(rpa, dict) else None
    if not isinstance(columns, list) or any(not isinstance(c, dict) or not c.get("header") or not c.get("value")
                                            for c in columns):
        raise _invalid(N_("rpa.columns は「header: 見出し, value: 項目名」の一覧で書いてください。"), "rpa")
    return columns


def parse_map(text: str) -> dict[str, Any]:
    """The checked field map; Invalid says which entry is wrong and how to write it."""
    raw = _load(text)
    _check_who(raw)
    _check_mapping(raw.get("mapping") or {})
    _check_defaults(raw.get("defaults") or {})
    columns = _check_output(raw)
    printing = raw.get("print") or {}
    return {"procedure": raw["procedure"], "per": raw.get("per", "visit"), "include": raw.get("include") or [],
            "mapping": raw.get("mapping") or {}, "defaults": raw.get("defaults") or {},
            "print": {"digits": printing.get("digits", "ascii"), "members": int(printing.get("members", 6))},
            "guide": raw.get("guide") or {}, "rpa": {"columns": columns}}


def wrap(body: str) -> str:
    """The uploaded layout inside the city's frame."""
    return '{% extends "base.html" %}{% block body %}' + body + "{% endblock %}"


def check_template(body: str) -> None:
    """Invalid (with the line) when the layout is too large or is not a template the sandbox compiles."""
    if len(body.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        raise _invalid(N_("レイアウトが大きすぎます（{max} バイトまで）。", max=f"{MAX_TEMPLATE_BYTES:,}"), "template")
    if re.search(r"{%-?\s*(extends|include|import|from|block)\b", body):
        raise _invalid(N_("レイアウトには様式の本文だけを書いてください（extends・include・import・block は使えません。"
                          "枠は自動で付き、macros は m.row などで使えます）。"), "template")
    try:
        sandbox().parse(wrap(body))
    except TemplateSyntaxError as err:
        raise _invalid(N_("レイアウトの {line}行目が読めません（{error}）。Jinja の書き方を確かめてください。",
                          line=err.lineno, error=err.message), "template") from err


# Uploaded layouts by template name (``deployed:<key>@<version>#<hash>``: one name, one content, so never stale).
_sources: dict[str, str] = {}


@cache
def sandbox() -> ImmutableSandboxedEnvironment:
    """Jinja's immutable sandbox with the forms' filters; it finds the uploaded layouts and the frame's files."""
    from forms import render  # the shared filters and the frame's folder (render imports this module lazily)

    loader = ChoiceLoader([FunctionLoader(_sources.get), FileSystemLoader(str(render.PRINT_DIR))])
    env = ImmutableSandboxedEnvironment(loader=loader, autoescape=True, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True)
    env.filters.update(render.environment().filters)
    return env


def render(name: str, body: str, context: dict[str, Any]) -> str:
    """The HTML of an uploaded layout, rendered in the sandbox and cleaned (:func:`clean`)."""
    _sources.setdefault(name, wrap(body))
    try:
        return clean(sandbox().get_template(name).render(**context))
    except TemplateError as err:  # the sandbox refused something, or a name the data does not have
        raise Invalid(N_("様式のレイアウトを印刷できません（{error}）。"
                         "業務設計の「様式」でレイアウトを直してください。",
                         error=str(err)),
                      details={"template": name}) from err


def clean(html: str) -> str:
    """Only what a printed form needs survives: allowed tags and attributes, ``data:`` images, plain styles."""
    root = lxml.html.document_fromstring(html)
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            element.drop_tree()
            continue
        if element.tag in _DROPPED or (element.tag == "img" and not element.get("src", "").startswith("data:image/")):
            element.drop_tree()  # with what is inside (a script's code, a style sheet, an image from elsewhere)
            continue
        if element.tag not in _ALLOWED_TAGS:
            element.drop_tag()  # a link, a form control…: its text stays, the element goes
            continue
        for name in list(element.attrib):
            value = element.attrib[name]
            if (name not in _ALLOWED_ATTRIBUTES or (name == "src" and not value.startswith("data:image/"))
                    or (name == "style" and not _PLAIN_STYLE.match(value))):
                del element.attrib[name]
        if element.tag == "meta" and set(element.attrib) - {"charset"}:
            element.drop_tree()
    return "<!doctype html>\n" + lxml.html.tostring(root, encoding="unicode")
