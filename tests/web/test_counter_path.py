"""The counter path on the real 転入 journey, through the pages: search → household → journey_tennyu → interview →
the determined procedures (remove and add with a reason) → the forms' missing answers → PDFs → signature →
hand-over → guide; then every section completes and the case ends."""

from __future__ import annotations

import base64
import io
import re
import subprocess

from flask.testing import FlaskClient
from PIL import Image, ImageDraw

from core.db import db
from core.models import AuditEntry
from forms import wareki
from tests.conftest import actor, csrf_token, deploy_library, login
from tests.support.families import make_household
from workflows import runtime
from workflows.determination.models import CaseProcedure, list_for_case
from workflows.models import Case
from workflows.visit import answers as visit
from workflows.visit.models import CaseDocument

EVENT_DATE = "2026-11-20"


def _post(client: FlaskClient, path: str, data: dict, page: str) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def _actions() -> list[str]:
    return [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]


def _answer(q: visit.Question) -> str:
    """A valid answer for any question the forms ask (what the counter would type)."""
    f = q.field
    if f.type == "choice":
        return f.choices[0][0]
    if f.type == "date":
        return "2026-11-18"
    if f.type == "integer":
        return str((f.min or 0) + 1)
    if f.type == "boolean":
        return "true"
    return {"postal": "7538650", "kana": "コタエ", "phone": "0839224111", "digits": "0839224111"}.get(f.format or "",
                                                                                                  "回答")


def _signature_png() -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _start(client: FlaskClient) -> tuple[Case, str]:
    deploy_library()
    family = make_household()
    head = family[0]
    login(client, "counter")
    assert client.get("/").headers["Location"].endswith("/counter/")
    found = client.get("/counter/?q=やまだ").get_data(as_text=True)
    assert f"/counter/residents/{head.id}" in found
    household = client.get(f"/counter/residents/{head.id}").get_data(as_text=True)
    assert all(f'name="subjects" value="{m.id}"' in household for m in family)  # all ticked: the family moves
    started = _post(client, f"/counter/residents/{head.id}", {"events": "tennyu", "subjects": [m.id for m in family]},
                    page=f"/counter/residents/{head.id}")
    assert started.status_code == 302 and re.fullmatch(r"/tasks/\d+", started.headers["Location"])
    case = db.session.scalars(db.select(Case)).one()
    assert case.process_key == "journey_tennyu" and case.resident_id == head.id
    return case, started.headers["Location"]


def test_counter_path_on_journey_tennyu(app, client: FlaskClient) -> None:
    case, interview = _start(client)
    page = client.get(interview).get_data(as_text=True)
    assert "転入した日" in page and "届出人氏名" not in page  # the journey's interview, not the old reception form
    done = _post(client, interview, {"event_date": EVENT_DATE, f"members.{case.resident_id}.wants_seal": "true"},
                 page=interview)
    assert done.status_code == 302 and done.headers["Location"] == f"/counter/cases/{case.id}"

    determined = {p.code: p for p in list_for_case(case.id)}
    assert {"juki.tennyu", "jidou.nintei", "gakko.tennyu"} <= set(determined)
    summary = client.get(f"/counter/cases/{case.id}").get_data(as_text=True)
    for p in determined.values():
        assert p.name in summary and p.rule in summary
    assert "こども家庭課" in summary and wareki.to_wareki(determined["juki.tennyu"].due_date) in summary

    # Remove one: refused without a reason (nothing changes), then with one.
    gakko = determined["gakko.tennyu"]
    path = f"/counter/cases/{case.id}/procedures/{gakko.id}/remove"
    _post(client, path, {"reason": " "}, page=f"/counter/cases/{case.id}")
    db.session.expire_all()
    assert db.session.get(CaseProcedure, gakko.id).state == "open"
    _post(client, path, {"reason": "私立学校に通学するため"}, page=f"/counter/cases/{case.id}")
    db.session.expire_all()
    removed = db.session.get(CaseProcedure, gakko.id)
    assert removed.state == "removed" and removed.reason == "私立学校に通学するため"

    # Add one the rules did not fire: it becomes a task in its section's inbox.
    catalogue_page = client.get(f"/counter/cases/{case.id}").get_data(as_text=True)
    extra = next(c for c in re.findall(r'<option value="([a-z_]+\.[a-z_.]+)"', catalogue_page)
                 if c not in determined)
    _post(client, f"/counter/cases/{case.id}/procedures", {"code": extra, "reason": "本人の申出"},
          page=f"/counter/cases/{case.id}")
    added = next(p for p in list_for_case(case.id) if p.code == extra)
    assert added.state == "open" and added.rule == "manual" and added.task_id is not None
    assert {"procedure.remove", "procedure.add"} <= set(_actions())

    _documents_signature_hand_over(client, case)
    _sections_finish(case)


def _documents_signature_hand_over(client: FlaskClient, case: Case) -> None:
    docs_page = f"/counter/cases/{case.id}/documents"
    asked = visit.questions(case_id=case.id)
    questions = {q.key: q for q in asked if q.member is None}
    assert "previous_address" in questions  # the DB cannot know it
    assert "name" not in questions and "guardian_name" not in questions  # the DB does
    assert questions["moved_in_on"].default == EVENT_DATE  # confirmed, not retyped
    answers = {q.name: _answer(q) for q in asked}
    answers.update(moved_in_on=EVENT_DATE, previous_address="広島県広島市中区基町10-52")

    refused = _post(client, docs_page, {**answers, "previous_address": ""}, page=docs_page)
    assert refused.status_code == 422
    assert 'aria-describedby="e-previous_address"' in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(CaseDocument.id))) == 0  # nothing made
    assert _post(client, docs_page, answers, page=docs_page).status_code == 302
    made = {d.doc_key: d for d in db.session.scalars(db.select(CaseDocument))}
    assert "juki_tennyu" in made and "guide" in made
    pdf = client.get(f"/api/v1/documents/{made['juki_tennyu'].id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    squeezed = re.sub(r"\s+", "", text)
    assert "基町10-52" in squeezed and "山田" in squeezed

    hand_over = f"/counter/cases/{case.id}/hand-over"
    _post(client, hand_over, {}, page=f"/counter/cases/{case.id}")  # no signature yet: refused
    assert "case.hand_over" not in _actions()
    png = _signature_png()
    signed = _post(client, f"/counter/cases/{case.id}/signature",
                   {"signature": "data:image/png;base64," + base64.b64encode(png).decode()},
                   page=f"/counter/cases/{case.id}/signature")
    assert signed.headers["Location"] == f"/counter/cases/{case.id}"
    sent = _post(client, hand_over, {}, page=f"/counter/cases/{case.id}")
    assert sent.headers["Location"] == f"/counter/cases/{case.id}/guide"
    db.session.expire_all()
    again = {d.doc_key: d for d in db.session.scalars(db.select(CaseDocument))}
    assert again["juki_tennyu"].generation == 2  # regenerated with the signature
    assert "case.hand_over" in _actions() and visit.handed_over(runtime.get_case(case.id))
    guide = client.get(f"/counter/cases/{case.id}/guide").get_data(as_text=True)
    assert "手続案内書" in guide and f'src="/counter/cases/{case.id}/guide.pdf"' in guide  # the page is the PDF
    pdf = client.get(f"/counter/cases/{case.id}/guide.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    printed = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True,
                                                 check=True).stdout.decode())
    assert "転入届" in printed and "令和8年12月4日" in printed


def _sections_finish(case: Case) -> None:
    for task in runtime.list_tasks(case_id=case.id):
        runtime.complete_task(task_id=task.id, data={"outcome": "done"}, actor=actor(task.section_code))
        db.session.commit()
    db.session.expire_all()
    assert runtime.get_case(case.id).state == "completed"
    assert {p.state for p in list_for_case(case.id)} == {"done", "removed"}


def test_counter_pages_need_the_counter_role(app, client: FlaskClient) -> None:
    case, _ = _start(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, f"/counter/cases/{case.id}")})
    login(client, "shimin")
    for path in (f"/counter/cases/{case.id}", f"/counter/cases/{case.id}/documents",
                 f"/counter/cases/{case.id}/signature"):
        assert client.get(path).status_code == 403, path
