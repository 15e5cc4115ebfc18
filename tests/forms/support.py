"""Helpers for document and RPA tests: generated residents in the DB, a visit (case) with its procedures."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import zipfile
from datetime import date
from typing import Any

from weasyprint import HTML

from core.db import db
from forms import render
from integrations.imports import generator, importer
from residents.models import Resident
from tests.conftest import TENNYU_FIXTURE, actor, api_headers, deploy_library
from workflows import runtime
from workflows.determination.models import CaseProcedure
from workflows.visit import form_answers

ANSWERS = {"ticket_no": "A-107", "moved_in_on": "2026-11-20", "previous_address": "広島県広島市中区基町10-52"}
# The 届出人 of these visits: someone entered at the counter (not of the household).
NOTIFIER = {"name": "届出　太郎", "kana": "トドケデ　タロウ", "address": "山口県山口市中河原町5-1",
            "relation": "代理人", "phone": "083-922-4111"}


def load_residents(count: int = 400, seed: int = 11) -> list[Resident]:
    """Import ``count`` generated residents (with 髙/﨑/𠮷 names) and return them."""
    rows = list(generator.generate(count, seed=seed))
    run = importer.run_import(data=generator.csv_bytes(rows), source="test", mode="full", actor=actor("admin"))
    assert run.status == "succeeded", run.errors_json
    db.session.commit()
    return list(db.session.scalars(db.select(Resident).order_by(Resident.id)))


def family_of_four(residents: list[Resident]) -> Resident:
    """The head of a household of four with children (there is one in any few hundred generated residents)."""
    for r in residents:
        if r.relation == "世帯主" and r.household and len(r.household.members) == 4 and r.resident_type == "1":
            return r
    raise AssertionError("no family of four in the generated residents")


def start_visit(resident: Resident | None, *, answers: dict[str, Any] | None = None,
                procedures: list[tuple[str, str, list[str], str]] = (), subject: Any = None,
                notifier: dict[str, Any] | None = NOTIFIER) -> int:
    """A 転入 case for ``resident``'s household (every member ticked) with ``procedures`` as (code, name, form
    keys, state) and the printed forms' ``answers`` already given; returns the case id."""
    if not db.session.scalar(db.select(db.func.count()).select_from(db.text("model_versions"))):
        deploy_library(TENNYU_FIXTURE)
    answers = dict(ANSWERS if answers is None else answers)
    members = [m.id for m in resident.household.members] if resident and resident.household else []
    data = {"ticket_no": answers.pop("ticket_no", None), "member_ids": members, "subject_ids": members,
            "event_date": answers.get("moved_in_on")}
    if notifier is not None:
        data["notifier"] = notifier
    case = runtime.start_case(process_key="tennyu", actor=actor("counter"),
                              resident_id=resident.id if resident else None, data=data)
    form_answers.merge(case_id=case.id, visit=answers, members={}, by="counter")
    for code, name, forms, state in procedures:
        db.session.add(CaseProcedure(case_id=case.id, code=code, name=name, section_code="shimin",
                                     form_keys=json.dumps(forms), due_date=date(2026, 12, 4), rule="test",
                                     subject=json.dumps(subject or {}), state=state, created_by="counter"))
    db.session.commit()
    return case.id


def exported_text(client: Any) -> str:
    """A new RPA export made by the manager through the API, every file of it decoded (CP932) and joined."""
    export = client.post("/api/v1/rpa-exports", json={}, headers=api_headers("manager"))
    assert export.status_code == 201, export.get_json()
    body = client.get(f"/api/v1/rpa-exports/{export.get_json()['id']}/file", headers=api_headers("manager")).data
    if not body.startswith(b"PK"):
        return body.decode("cp932")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(archive.read(n).decode("cp932") for n in archive.namelist())


def pdf_text(pdf: bytes, *, layout: bool = True) -> str:
    """The PDF's text as pdftotext reads it."""
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Text without any whitespace (pdftotext splits and spaces Japanese lines freely)."""
    return re.sub(r"\s+", "", text)


def _poppler(tool: str, pdf: bytes, *args: str, out: tuple[str, ...] = ()) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run([tool, *args, f.name, *out], capture_output=True, check=True).stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    match = re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", pdf))
    assert match
    return int(match.group(1))


def pdf_fonts(pdf: bytes) -> str:
    return _poppler("pdffonts", pdf)


def word_boxes(pdf: bytes) -> tuple[float, list[tuple[str, float, float]]]:
    """(page width, [(word, xMin, xMax)]) of the first page, from ``pdftotext -bbox``."""
    html = _poppler("pdftotext", pdf, "-bbox", "-f", "1", "-l", "1", out=("-",))
    width = float(re.search(r'<page width="([\d.]+)"', html).group(1))
    words = [(w, float(a), float(b)) for a, b, w in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" '
                                                               r'xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]
    return width, words


def weasyprint_alone(html: str) -> bytes:
    """The PDF of ``html`` as WeasyPrint parses and styles it by itself (tinyhtml5, its own user-agent stylesheet),
    with everything else as :func:`forms.render.html_to_pdf` does."""
    css, fonts = render._stylesheet()
    return HTML(string=html, base_url=str(render.PRINT_DIR)).write_pdf(
        stylesheets=[css], font_config=fonts, uncompressed_pdf=True, finisher=render._deflate)
