"""Every refusal a service raises is a catalogue message: Japanese by default, English for an English reader.

The source scan reads every module of the six packages (``ast``, not regular expressions): a domain error built with
a bare string, an f-string or a string put together with ``+`` / ``%`` / ``.format`` reaches a reader verbatim in
one language whatever they chose, so it fails here. ``N_`` ids must be literals (``pybabel extract`` reads only
those) and each must have its English in ``web/translations/en``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import refresh

from core.errors import Forbidden
from core.settings import REPO_ROOT
from tests.conftest import IsolatedClient, actor, api_headers
from web.i18n import translate
from workflows import runtime

PACKAGES = ("core", "residents", "forms", "workflows", "integrations", "web")
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff01-\uff5e]")  # with 「」、。
PLACEHOLDER = re.compile(r"\{\w+\}")
CATALOGUE = REPO_ROOT / "web" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def domain_errors(trees: list[tuple[Path, ast.Module]]) -> set[str]:
    """``DomainError`` and every class of the project that derives from it (however many steps down)."""
    found = {"DomainError"}
    classes = [n for _, tree in trees for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    while True:
        more = {c.name for c in classes if c.name not in found and any(_name(b) in found for b in c.bases)}
        if not more:
            return found
        found |= more


def _is_n(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _name(node.func) == "N_"


def message_problem(arg: ast.expr) -> str | None:
    """Why ``arg`` (a domain error's message) is not a catalogue message; None when it is one or is computed."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return "a bare string (wrap it in N_)" if JAPANESE.search(arg.value) else "an English string"
    if isinstance(arg, ast.JoinedStr):
        return "an f-string (an N_ id with named values instead)"
    if isinstance(arg, ast.BinOp) and any(isinstance(n, ast.Constant | ast.JoinedStr) for n in ast.walk(arg)):
        return "a string put together with an operator"
    if isinstance(arg, ast.Call) and _name(arg.func) in {"format", "replace", "join"}:
        return "a string method's result"
    if _is_n(arg):
        return msgid_problem(arg)
    return None


def msgid_problem(call: ast.Call) -> str | None:
    """Why an ``N_`` call cannot be a catalogue id, or one in Japanese."""
    if not call.args or not (isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
        return "N_ without a literal id (pybabel extract cannot find it)"
    text = PLACEHOLDER.sub("", call.args[0].value)
    if not JAPANESE.search(text) and re.search(r"[A-Za-z]{2,}", text):
        return "an N_ id in English (ids are the Japanese text)"
    if any(_is_n(n) for a in [*call.args[1:], *(k.value for k in call.keywords)] for n in ast.walk(a)):
        return "an N_ inside an N_'s values (pybabel extract misses it: use a module constant or a variable)"
    return None


def _message_arg(call: ast.Call) -> ast.expr | None:
    return call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "message"), None)


def factories(tree: ast.Module, errors: set[str]) -> dict[str, list[int]]:
    """Helpers that return a domain error built from their arguments (``def _refuse(field, message): return
    Invalid(message, …)``): by name, the positions of the parameters that end up in the message. (A function that
    raises with one of its parameters as a value, a field's or a tool's name, is not one.)"""
    found = {}
    for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        params = [a.arg for a in func.args.args]
        used: set[str] = set()
        returned = [n.value for n in ast.walk(func) if isinstance(n, ast.Return) and isinstance(n.value, ast.Call)]
        for call in (c for c in returned if _name(c.func) in errors):
            message = _message_arg(call)
            parts = [message] if message is not None else []
            if message is not None and _is_n(message):
                parts = [k.value for k in message.keywords]
            # the message may also be built in a variable first: text = N_("…", message=message)
            named = {a.id for part in parts for a in ast.walk(part) if isinstance(a, ast.Name)}
            for assign in (n for n in ast.walk(func) if isinstance(n, ast.Assign)):
                if any(isinstance(t, ast.Name) and t.id in named for t in assign.targets):
                    named |= {a.id for a in ast.walk(assign.value) if isinstance(a, ast.Name)}
            used |= named & set(params)
        if used:
            found[func.name] = [i for i, p in enumerate(params) if p in used]
    return found


def refusals_not_in_the_catalogue() -> list[str]:
    trees = list(modules())
    errors = domain_errors(trees)
    found = []
    for path, tree in trees:
        helpers = factories(tree, errors)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(REPO_ROOT)}:{node.lineno}"
            name = _name(node.func)
            if _is_n(node) and (problem := msgid_problem(node)):
                found.append(f"{where}: {problem}")
            elif name in errors:
                message = _message_arg(node)
                if message is not None and (problem := message_problem(message)):
                    found.append(f"{where}: {name} with {problem}")
            elif name in helpers:
                for i in helpers[name]:
                    if i < len(node.args) and (problem := message_problem(node.args[i])):
                        found.append(f"{where}: {name} (builds a refusal) with {problem}")
    return found


def test_every_refusal_is_a_catalogue_message() -> None:
    assert refusals_not_in_the_catalogue() == []


def test_the_scan_catches_each_way_round_the_catalogue() -> None:
    """The checks themselves, on the shapes that once reached Japanese readers in English."""
    def problem(source: str) -> str | None:
        return message_problem(ast.parse(source, mode="eval").body.args[0])

    assert problem('Forbidden("only counter staff start cases")') == "an English string"
    assert problem('NotFound(f"書類 {document_id} はありません")').startswith("an f-string")
    assert problem('Invalid("課がありません")').startswith("a bare string")
    assert problem('Invalid("設定に誤りがあります: " + ", ".join(errors))').startswith("a string put together")
    assert problem('Invalid("{}: x".format(name))') == "a string method's result"
    assert problem('Forbidden(N_("only counter staff"))').startswith("an N_ id in English")
    assert problem('Invalid(N_(f"課 {code} はありません"))').startswith("N_ without a literal id")
    assert problem('Invalid(N_("{file}: {message}", file=f, message=N_("空です")))').startswith("an N_ inside")
    assert problem('Invalid(N_("課 {section} はありません", section=code))') is None
    assert problem('Invalid(N_("{where}: {message}", where=w, message=m))') is None
    assert problem("Invalid(message)") is None
    trees = [(Path("x.py"), ast.parse("class A(Conflict): ...\nclass B(A): ...\nclass Conflict(DomainError): ..."))]
    assert domain_errors(trees) == {"DomainError", "Conflict", "A", "B"}
    helper = ast.parse("def _refuse(field, why):\n    return Invalid(N_('確認してください：{why}', why=why))\n"
                       "def _fail(where, message):\n    text = N_('{w}: {m}', w=where, m=message)\n"
                       "    return Invalid(text, details={})\n"
                       "def _plain(message, field):\n    return Invalid(message, details={'field': field})\n"
                       "def _tool(name):\n    raise Invalid(N_('{tool} がありません', tool=name))\n")
    assert factories(helper, {"Invalid"}) == {"_refuse": [1], "_fail": [0, 1], "_plain": [0]}


def test_every_message_id_has_its_english() -> None:
    """What ``pybabel extract`` finds in the code and templates (babel.cfg) has a non-empty English msgstr."""
    method_map = [(f"{p}/**.py", "python") for p in PACKAGES] + [("web/templates/**.html", "jinja2")]
    ids = {msgid for _, _, msgid, *_ in extract_from_dir(str(REPO_ROOT), method_map, keywords={"_": None, "N_": None})
           if isinstance(msgid, str)}
    with CATALOGUE.open("rb") as po:
        english = {m.id: m.string for m in read_po(po) if m.id}
    assert len(ids) > 500
    assert sorted(i for i in ids if not english.get(i)) == []


def test_a_service_refusal_through_the_api_in_japanese_and_english(app: Flask) -> None:
    """A section user asking for another section's cases; a case that does not exist: the reader's language.
    Each request from a client of its own (no session that remembers ``?lang=``), in an app context of its own."""
    app.test_client_class = IsolatedClient
    section, counter = api_headers("shimin"), api_headers("counter")
    refused = app.test_client().get("/api/v1/cases?section=hoken", headers=section)
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "課 hoken の案件一覧は表示できません（担当課のみ）"
    assert refused.json["error"]["details"] == {"section": "hoken"}
    english = app.test_client().get("/api/v1/cases?section=hoken&lang=en", headers=section)
    assert english.json["error"]["message"] == "Section hoken's cases cannot be listed (your own section only)"
    by_browser = app.test_client().get("/api/v1/cases?section=hoken",
                                       headers={**section, "Accept-Language": "en-GB,en;q=0.9"})
    assert by_browser.json["error"]["message"] == english.json["error"]["message"]

    missing = app.test_client().get("/api/v1/cases/987654", headers=counter)
    assert missing.status_code == 404
    assert missing.json["error"]["message"] == "案件 987654 はありません"
    assert app.test_client().get("/api/v1/cases/987654?lang=en", headers=counter).json["error"]["message"] == (
        "Case 987654 does not exist")


def test_a_refusal_raised_below_the_web_is_japanese_and_translates(app: Flask) -> None:
    """The refusal a 403 page once showed in English: runtime.start_case for a section user."""
    with pytest.raises(Forbidden) as info:
        runtime.start_case(process_key="journey_tennyu", data={}, actor=actor("shimin"))
    assert info.value.message == "案件を開始できるのは総合窓口の職員だけです"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert translate(info.value.message) == "Only counter staff start cases"
