"""Printed forms from generated residents: read back with pdftotext; the visit's documents, signature, guide."""

from __future__ import annotations

import base64
import io
import subprocess
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image

from core import audit
from core.db import db
from forms import printforms, render, wareki
from residents.models import Resident
from tests.conftest import actor, login
from tests.forms.support import (
    ANSWERS,
    family_of_four,
    load_residents,
    pdf_fonts,
    pdf_pages,
    pdf_text,
    squeeze,
    start_visit,
    word_boxes,
)
from workflows import runtime
from workflows.visit import context as ctx
from workflows.visit import documents, signatures, status
from workflows.visit.models import CaseDocument

STATUS_URL = "https://madoguchi.example/status/TOKEN"


def test_longest_names_and_addresses_stay_inside_the_page(app) -> None:
    residents = load_residents(400)
    longest = max(residents, key=lambda r: len(r.address or "") + len(r.address_extra or "") + len(r.name))
    longest.address = (longest.address or "") + "大字宮野上字長谷川原二千三百四十五番地の六十七"
    longest.address_extra = "グランドール大内ガーデンテラス・アネックス棟 第三号館 一二〇三号室"
    db.session.commit()
    case_id = start_visit(longest, answers={**ANSWERS, "previous_address": "北海道" + "長い地名" * 20})
    visit = ctx.visit_context(runtime.get_case(case_id))
    plan = next(documents.form_plans(printforms.get("juki_tennyu"), visit, []))
    pdf = render.html_to_pdf(render.render_html(plan.template, **plan.render_context, signature=None))
    assert pdf_pages(pdf) == 1
    assert squeeze(longest.address) in squeeze(pdf_text(pdf))
    width, words = word_boxes(pdf)
    right_edge = width - 13 / 25.4 * 72 + 2  # the page margin, plus rounding
    assert words and all(x_max <= right_edge for _, _, x_max in words), [w for w in words if w[2] > right_edge]


def _glyph_is_tofu(png: bytes) -> bool:
    """A missing glyph is drawn as a box: its ink's bounding box has solid edges on all four sides."""
    image = Image.open(io.BytesIO(png)).convert("L")
    ink = image.point(lambda p: 255 if p < 128 else 0)
    box = ink.getbbox()
    assert box, "nothing was drawn"
    crop = ink.crop(box)
    w, h = crop.size
    px = crop.load()

    def solid(points: list[tuple[int, int]]) -> bool:
        return sum(px[x, y] > 0 for x, y in points) / len(points) > 0.9

    return all([solid([(x, 0) for x in range(w)]), solid([(x, h - 1) for x in range(w)]),
                solid([(0, y) for y in range(h)]), solid([(w - 1, y) for y in range(h)])])


def _raster(char: str) -> bytes:
    pdf = render.html_to_pdf(f'<p style="font-size:96pt;margin:0">{char}</p>')
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "g.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-png", "-singlefile", Path(tmp, "g.pdf"),
                        Path(tmp, "g")], check=True)
        return Path(tmp, "g.png").read_bytes()


@pytest.mark.parametrize("char", ["髙", "﨑", "𠮷"])
def test_rare_characters_have_glyphs_no_tofu(char: str) -> None:
    assert not _glyph_is_tofu(_raster(char))


def test_the_tofu_check_can_fail() -> None:
    assert _glyph_is_tofu(_raster("\U0010fffd"))  # a private-use code point no installed font has


def test_a_form_with_rare_names_embeds_ipamj_and_keeps_the_characters(app) -> None:
    residents = load_residents(60)
    subject = residents[0]
    subject.name = "𠮷田　髙﨑"
    db.session.commit()
    case_id = start_visit(subject)
    visit = ctx.visit_context(runtime.get_case(case_id))
    plan = next(documents.form_plans(printforms.get("juki_tennyu"), visit, []))
    pdf = render.html_to_pdf(render.render_html(plan.template, **plan.render_context, signature=None))
    assert "IPAmjMincho" in pdf_fonts(pdf) and "IPAexMincho" in pdf_fonts(pdf)
    assert "𠮷田髙﨑" in squeeze(pdf_text(pdf))


def _png() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 17)), (0, 0, 0, 255))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_family_visit_makes_every_form_and_guide_and_regenerates_only_on_change(app) -> None:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done")])
    made = documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=STATUS_URL)
    db.session.commit()
    by_key = {d.doc_key: d for d in made}
    assert set(by_key) == {"juki_tennyu", "guide"}
    text = squeeze(pdf_text(by_key["juki_tennyu"].pdf))
    for member in head.household.members:
        assert squeeze(member.name) in text and wareki.to_wareki(member.birth_date_text) in text
    assert squeeze(ANSWERS["previous_address"]) in text and "令和8年11月20日" in text
    guide = squeeze(pdf_text(by_key["guide"].pdf))
    assert "A-107" in guide and "転入届" in guide and "本日手続済" in guide
    assert "届出太郎" in guide and squeeze(head.address) not in guide  # the 届出人 is named; no address
    first = {k: (d.generation, d.content_hash) for k, d in by_key.items()}

    again = documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=STATUS_URL)
    db.session.commit()
    assert {d.doc_key: (d.generation, d.content_hash) for d in again} == first

    signatures.save(case_id=case_id, png=_png(), actor=actor("counter"))
    signed = {d.doc_key: d for d in documents.generate_visit(case_id=case_id, actor=actor("counter"),
                                                             status_url=STATUS_URL)}
    db.session.commit()
    assert signed["juki_tennyu"].generation == 2 and signed["guide"].generation == 1
    assert b"/Subtype /Image" in signed["juki_tennyu"].pdf or b"/Image" in signed["juki_tennyu"].pdf
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseDocument)) == 2


def test_missing_interview_answers_are_refused_with_the_field(app) -> None:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, answers={"ticket_no": "B-1"}, notifier={"relation": "代理人"},
                          procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "open")])
    with pytest.raises(documents.Invalid) as err:
        documents.generate_visit(case_id=case_id, actor=actor("counter"), status_url=STATUS_URL)
    assert err.value.details["form"] == "juki_tennyu"
    assert {"moved_in_on", "previous_address", "applicant_name"} <= set(err.value.details["fields"])
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseDocument)) == 0


def test_status_page_needs_no_login_and_shows_nothing_identifying(app, client: FlaskClient) -> None:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done"),
                                            ("kokuho.join", "国民健康保険 資格取得届", [], "open")])
    token = status.token_for(case_id)
    db.session.commit()
    page = client.get(f"/status/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "A-107" in html and "転入届" in html and "手続済" in html and "国民健康保険" in html
    for member in head.household.members:
        assert member.name not in html and (member.name_kana or "-") not in html
    assert head.address not in html and head.jumin_code not in html
    assert client.get("/status/" + "x" * 43).status_code == 404
    assert client.get("/status/short").status_code == 404


def test_documents_api_and_signature_page(app, client: FlaskClient) -> None:
    head = family_of_four(load_residents(400))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done")])
    login(client, "counter")
    page = client.get(f"/counter/cases/{case_id}/signature")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post(f"/counter/cases/{case_id}/signature",
                      data={"csrf_token": token, "signature": "data:image/png;base64,AAAA"})
    assert bad.status_code == 422 and signatures.get(case_id) is None
    ok = client.post(f"/counter/cases/{case_id}/signature", data={
        "csrf_token": token, "signature": "data:image/png;base64," + base64.b64encode(_png()).decode()})
    assert ok.status_code == 302
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}/documents"' in case_page
    assert "書類" in client.get(f"/cases/{case_id}/documents").get_data(as_text=True)
    made = client.post(f"/api/v1/cases/{case_id}/documents", headers={"X-CSRFToken": token})
    assert made.status_code == 201, made.json
    form_doc = next(d for d in made.json if d["doc_key"] == "juki_tennyu")
    pdf = client.get(f"/api/v1/documents/{form_doc['id']}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert squeeze(head.name) in squeeze(pdf_text(pdf.data))
    views = [e for e in audit.list_(target_type="document") if e.action == "document.view"]
    assert views and views[0].username == "counter"
    client.post("/logout", data={"csrf_token": token})
    assert client.get(f"/api/v1/documents/{form_doc['id']}").status_code == 401
    assert Resident  # the generated residents are real rows


def test_a_batch_is_laid_out_by_worker_processes_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    htmls = [f"<p>書類{i}　𠮷田</p>" for i in range(3)]
    monkeypatch.setenv("MADOGUCHI_RENDER_WORKERS", "2")
    pooled = render.html_to_pdfs(htmls)
    assert render.pool() is not None and render.pool()._processes  # worker processes laid them out
    monkeypatch.setenv("MADOGUCHI_RENDER_WORKERS", "1")
    alone = render.html_to_pdfs(htmls)
    expected = [f"書類{i}𠮷田" for i in range(3)]
    assert [squeeze(pdf_text(p)) for p in pooled] == [squeeze(pdf_text(p)) for p in alone] == expected


def test_fonts_are_subset_by_harfbuzz_not_fonttools(caplog: pytest.LogCaptureFixture) -> None:
    from weasyprint.text import ffi

    assert ffi.harfbuzz_subset and ffi.harfbuzz.hb_version_atleast(4, 1, 0)  # libharfbuzz-subset0 is installed
    with caplog.at_level("WARNING", logger="weasyprint"):
        pdf = render.html_to_pdf("<p>髙﨑　𠮷田</p>")
    assert not [r for r in caplog.records if "fontTools" in r.getMessage()]
    assert "IPAmjMincho" in pdf_fonts(pdf)


def test_the_administrators_city_name_and_office_hours_are_printed(app) -> None:
    from core import city
    from core.tx import atomic

    head = family_of_four(load_residents(60))
    atomic(lambda: city.update(actor=actor("admin"), changes={"city_name": "窓口市", "office_hours": "9:00-16:30"}))
    case_id = start_visit(head, procedures=[("juki.tennyu", "転入届", ["juki_tennyu"], "done")])
    made = {d.doc_key: d for d in documents.generate_visit(case_id=case_id, actor=actor("counter"),
                                                           status_url=STATUS_URL)}
    form, guide = squeeze(pdf_text(made["juki_tennyu"].pdf)), squeeze(pdf_text(made["guide"].pdf))
    assert "窓口市長様" in form and "山口市長" not in form
    assert "窓口市役所総合窓口" in guide and "開庁時間9:00-16:30" in guide
