"""The documents laid out after the response (production's ``render_in_background``): what generation stores,
the print thread, a read before the thread, and a layout that finishes after the document was made again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.db import db
from core.tx import atomic
from forms import render
from tests.conftest import actor, api_headers
from tests.forms.support import family_of_four, load_residents, pdf_text, squeeze, start_visit
from web import printer
from workflows.visit import documents, printing
from workflows.visit.models import CaseDocument

STATUS_URL = "https://madoguchi.example/status/TOKEN"


@pytest.fixture
def later(app: Flask) -> Iterator[None]:
    printing.configure(later=True)
    yield
    printer.wait_idle()
    printing.configure(later=False)


def _visit() -> tuple[int, str]:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done")])
    return case_id, head.name


def _rows(case_id: int) -> list[CaseDocument]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id)))


def test_the_api_answers_before_the_layout_and_the_print_thread_stores_every_pdf(
        app: Flask, client: FlaskClient, later: None) -> None:
    case_id, name = _visit()
    made = client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter"))
    assert made.status_code == 201, made.json
    assert {d["doc_key"] for d in made.json} == {"juki_tennyu", "guide"}
    printer.wait_idle()
    rows = _rows(case_id)
    assert rows and all(r.rendered and r.html is None and r.size == len(r.pdf) for r in rows)
    form = next(r for r in rows if r.doc_key == "juki_tennyu")
    assert squeeze(name) in squeeze(pdf_text(form.pdf))
    listed = client.get(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter")).json
    assert all(d["content_hash"] and d["size"] for d in listed)


def test_a_document_read_before_the_thread_is_laid_out_by_the_reader_from_the_page_fixed_at_generation(
        app: Flask, client: FlaskClient, later: None) -> None:
    case_id, name = _visit()

    def generate() -> list[CaseDocument]:
        made = documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=STATUS_URL)
        printing.take_pending(db.session)  # as if the worker died before its thread got to them
        return made

    atomic(generate)
    pending = [r for r in _rows(case_id) if r.doc_key == "juki_tennyu"]
    assert pending and not pending[0].rendered and pending[0].pdf is None and name in pending[0].html
    got = client.get(f"/api/v1/documents/{pending[0].id}", headers=api_headers("counter"))
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert squeeze(name) in squeeze(pdf_text(got.data))
    [stored] = [r for r in _rows(case_id) if r.doc_key == "juki_tennyu"]
    assert stored.rendered and stored.pdf == got.data and stored.html is None


def test_a_layout_that_finishes_after_the_document_was_generated_again_is_not_stored_over_it(
        app: Flask, later: None) -> None:
    case_id, _name = _visit()

    def generate() -> None:
        documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=STATUS_URL)
        printing.take_pending(db.session)

    atomic(generate)
    [old] = [r for r in _rows(case_id) if r.doc_key == "juki_tennyu"]
    old_pdf, old_hash = render.html_to_pdf(old.html), old.data_hash
    old.data_hash = "0" * 64  # the next generation: another hash (e.g. the signature went in), another page
    old.html = "<p>新しい版</p>"
    db.session.commit()
    assert not printing._store(old.id, old_hash, old_pdf)  # the late layout of the old page is dropped
    db.session.commit()
    [now] = [r for r in _rows(case_id) if r.doc_key == "juki_tennyu"]
    assert not now.rendered and now.html == "<p>新しい版</p>"
    assert printing.render_pending([now.id]) == 1
    db.session.commit()
    [done] = [r for r in _rows(case_id) if r.doc_key == "juki_tennyu"]
    assert "新しい版" in pdf_text(done.pdf)


def test_the_printed_guide_is_laid_out_once_in_its_request(app: Flask, client: FlaskClient, later: None,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide printed now is laid out by its request, and not a second time by the print thread."""
    case_id, name = _visit()
    queued: list[int] = []
    real = render.html_to_pdfs
    monkeypatch.setattr(render, "html_to_pdfs", lambda htmls, **kw: queued.append(len(htmls)) or real(htmls, **kw))
    printed = client.get(f"/api/v1/cases/{case_id}/guide", headers=api_headers("counter"))
    assert printed.status_code == 200 and squeeze("手続案内書") in squeeze(pdf_text(printed.data))
    printer.wait_idle()
    assert sum(queued) == 0, queued
    [guide] = [r for r in _rows(case_id) if r.doc_key == "guide"]
    assert guide.rendered and guide.pdf == printed.data


def test_the_guide_is_laid_out_first_on_its_own(app: Flask, client: FlaskClient, later: None,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The clerk prints the guide seconds after the hand-over: it is not laid out last behind its visit's forms
    (bench/load.py found one guide print in six laying it out in the request)."""
    case_id, _name = _visit()
    batches: list[list[str]] = []
    real = render.html_to_pdfs
    monkeypatch.setattr(render, "html_to_pdfs",
                        lambda htmls, **kw: batches.append(["手続案内書" in h for h in htmls]) or real(htmls, **kw))
    made = client.post(f"/api/v1/cases/{case_id}/documents", headers=api_headers("counter"))
    assert made.status_code == 201, made.json
    printer.wait_idle()
    assert batches == [[True], [False]]
    assert all(r.rendered for r in _rows(case_id))


def test_a_batch_to_lay_out_first_passes_the_batches_waiting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    served: list[list[int]] = []
    busy, release = threading.Event(), threading.Event()

    def record(ids: list[int]) -> int:
        served.append(ids)
        if len(served) == 1:
            busy.set()
            release.wait(5)
        return 0

    monkeypatch.setattr(printing, "render_pending", record)
    printing.note_pending([1])
    db.session.commit()
    assert busy.wait(5)  # the thread lays out the first batch; the next two wait
    printing.note_pending([2])
    db.session.commit()
    printing.note_pending([3], first=True)
    db.session.commit()
    release.set()
    printer.wait_idle()
    assert served == [[1], [3], [2]]
