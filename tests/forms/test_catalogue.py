"""The FY2023/FY2024 catalogue of printed forms: every determinable procedure has its form, and every form folder
prints generated residents' data and the interview answers where they belong (one rendering pass per module)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from core.db import db
from core.settings import REPO_ROOT
from forms import printforms, render, wareki
from forms.taskforms import FormField
from tests.conftest import _empty_tables
from tests.forms.support import (
    ANSWERS,
    load_residents,
    pdf_pages,
    pdf_text,
    squeeze,
    start_visit,
    weasyprint_alone,
)
from workflows import runtime
from workflows.visit import context as ctx
from workflows.visit import documents

DECISIONS = REPO_ROOT / "bpmn" / "decisions"
KEYS = printforms.all_keys()
EVENT_DATE = "2026-11-19"


def determinable(paths: list[Path]) -> dict[str, set[str]]:
    """Every procedure code the decision tables can yield, with the form keys their rules name."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for table in ET.parse(path).getroot().iterfind(".//{*}decisionTable"):
            names = [o.get("name") for o in table.findall("{*}output")]
            for rule in table.findall("{*}rule"):
                out = dict(zip(names, (e.findtext("{*}text") or "" for e in rule.findall("{*}outputEntry")),
                               strict=True))
                code = out.get("code", "").strip().strip('"')
                forms = {f.strip() for f in out.get("forms", "").strip().strip('"').split(",") if f.strip()}
                found.setdefault(code, set()).update(forms)
    return found


def missing_forms(paths: list[Path]) -> list[str]:
    """Procedure codes (and form keys named by a rule) without a printed form folder of that procedure."""
    missing = []
    for code, keys in sorted(determinable(paths).items()):
        for key in sorted({code.replace(".", "_"), *keys}):
            if key not in KEYS or printforms.get(key).procedure != code:
                missing.append(f"{code} → {key}")
    return missing


def test_every_determinable_procedure_has_its_printed_form() -> None:
    paths = sorted(DECISIONS.glob("*.dmn"))
    codes = determinable(paths)
    assert len(codes) >= 40 and "kouki.join" in codes and "chiken.change" in codes
    assert missing_forms(paths) == []
    assert len(KEYS) >= 50


def test_the_catalogue_check_fails_for_a_procedure_without_a_form(tmp_path: Path) -> None:
    dmn = (DECISIONS / "proc_chiken.dmn").read_text(encoding="utf-8")
    (tmp_path / "x.dmn").write_text(dmn.replace('"chiken.change"', '"chiken.register"'), encoding="utf-8")
    assert missing_forms([tmp_path / "x.dmn"]) == ["chiken.register → chiken_change",
                                                   "chiken.register → chiken_register"]


def _answer(field: FormField) -> object:
    """A recognisable answer for an interview field, derived from its definition."""
    if field.type == "choice":
        return field.choices[-1][0]
    if field.type == "date":
        return "2026-11-18"
    if field.type == "integer":
        return (field.min or 0) + 3
    if field.type == "boolean":
        return True
    return {"kana": "コタエ", "postal": "7538650", "phone": "083-922-4111", "digits": "4711",
            "partial_date": "1990-00-00"}.get(field.format or "", f"回答{field.name[:6]}")


def _printed(value: object, field: FormField) -> str:
    if field.type == "choice":
        return "■" + dict(field.choices)[value]
    if field.type == "boolean":
        return "■はい" if value else "■いいえ"
    if field.type == "date" or field.format == "partial_date":
        return wareki.to_wareki(str(value))
    if field.format == "postal":
        return render.postal(value)
    return str(value)


def _asked(form: printforms.PrintForm) -> list[FormField]:
    """The fields filled from the interview: unmapped, or mapped to an answer (the visit's or the person's)."""
    return [f for f in form.definition.fields
            if f.name not in form.mapping or printforms.answer_key(form.mapping[f.name]) is not None]


@pytest.fixture(scope="module")
def printed(app: Flask) -> Iterator[dict[str, Any]]:
    """Every form rendered once for one generated resident (with a household): key → (answers, pages, text), and
    its HTML."""
    with app.app_context():
        residents = load_residents(120)
        subject = next(r for r in residents
                       if r.resident_type == "1" and r.household and len(r.household.members) > 1)
        case_id = start_visit(subject, answers={**ANSWERS, "event_date": EVENT_DATE})
        visit = ctx.visit_context(runtime.get_case(case_id))
        who = {"name": subject.name, "kana": subject.name_kana, "address": subject.address,
               "birth": wareki.to_wareki(subject.birth_date_text)}
        result: dict[str, Any] = {}
        htmls: dict[str, str] = {}
        for key in KEYS:
            form = printforms.get(key)
            answers = dict(visit["answers"])
            for f in _asked(form):
                name = printforms.answer_key(form.mapping.get(f.name, printforms.ANSWER_PREFIX + f.name))
                if f.name not in form.mapping or name not in answers:
                    answers[name] = _answer(f)
            plan = next(documents.form_plans(form, {**visit, "answers": answers}, [subject.id]))
            htmls[key] = render.render_html(plan.template, **plan.render_context, signature=None)
            pdf = render.html_to_pdf(htmls[key])
            result[key] = (answers, pdf_pages(pdf), squeeze(pdf_text(pdf)))
        db.session.remove()  # end the read transaction before emptying the tables (PostgreSQL locks)
        _empty_tables()
    yield {"who": who, "forms": result, "html": htmls}


@pytest.mark.parametrize("key", KEYS)
def test_every_form_prints_resident_data_and_answers_where_they_belong(printed: dict[str, Any], key: str) -> None:
    form, who = printforms.get(key), printed["who"]
    answers, pages, text = printed["forms"][key]
    assert pages == 1
    assert squeeze(form.title) in text
    assert squeeze(who["name"]) in text and squeeze(who["kana"]) in text
    assert squeeze(who["address"]) in text and who["birth"] in text
    for f in _asked(form):
        value = answers[f.name] if f.name not in form.mapping else printforms.resolve(
            {"answers": answers, "person": answers}, form.mapping[f.name])
        assert squeeze(_printed(value, f)) in text, f"{key}: answer {f.name} not printed"
    assert re.search(r"〒\d{3}-\d{4}", text), f"{key}: the 〒 box is missing"


@pytest.mark.parametrize("key", ["juki_tennyu", "juki_setai_henko", "kokuho_join", "seal_register"])
def test_forms_print_byte_for_byte_as_weasyprint_parses_and_styles_them_by_itself(printed: dict[str, Any],
                                                                                   key: str) -> None:
    """lxml's tree and the forms' own user-agent stylesheet (forms/printhtml.py) change nothing on the page: a form
    with its own template, the generic one with the members table and choices, one per member, a light one."""
    html = printed["html"][key]
    assert render.html_to_pdf(html) == weasyprint_alone(html)
