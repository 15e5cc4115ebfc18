"""Issue 16's defects, each as the counter met it on the pages with a generated-style family of five (転入).

Every test here failed on main before the change (see the commit message of the commit that adds them): the
forms printed a 印鑑登録申請書 for the 4-year-old, discarded the 届出人 the clerk chose, listed the unticked
grandmother, printed one 対象者との関係 on every form, took 「令和8年4月1日」 as a bad date and never recomputed
due dates, stopped 転入 + 証明書交付 at the determination, pre-filled one section's task with another's answers,
and printed a guide page that said something else than the PDF, with a UTC time on the summary.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.db import db
from residents.models import Resident
from tests.conftest import REPO_ROOT, deploy_library, login
from tests.forms.support import pdf_text, squeeze
from tests.scenarios.pages import fill, names_in, post, sign_and_hand_over
from tests.support.families import make_residents
from tests.support.handover import as_handed_over
from workflows.determination.models import CaseProcedure, list_for_case
from workflows.models import Case, CaseTask
from workflows.visit.models import CaseDocument

EVENT_DATE = "2026-11-20"
HARADA = [
    {"name": "原田 誠", "kana": "ハラダ マコト", "relation": "世帯主", "birth": date(1986, 7, 15), "sex": "1",
     "insurance": "kokuho", "pension_category": "1", "dog_owner": False},
    {"name": "原田 陽子", "kana": "ハラダ ヨウコ", "relation": "妻", "birth": date(1988, 2, 3), "sex": "2",
     "insurance": "kokuho", "pension_category": "1", "dog_owner": False},
    {"name": "原田 大輝", "kana": "ハラダ ダイキ", "relation": "子", "birth": date(2016, 5, 10), "sex": "1",
     "insurance": "kokuho", "school": "elementary", "dog_owner": False},
    {"name": "原田 美咲", "kana": "ハラダ ミサキ", "relation": "子", "birth": date(2022, 1, 20), "sex": "2",
     "insurance": "kokuho", "dog_owner": False},
    {"name": "原田 和子", "kana": "ハラダ カズコ", "relation": "母", "birth": date(1952, 3, 3), "sex": "2",
     "insurance": "kokuho", "pension_category": "none", "dog_owner": False},
]


@pytest.fixture
def harada(app: Any) -> dict[str, Resident]:
    deploy_library()
    people = make_residents(HARADA, setai_no="2000017", first_code=20000000011, address="山口県山口市糸米2-5-1")
    return dict(zip(("makoto", "yoko", "daiki", "misaki", "kazuko"), people, strict=True))


def start(client: FlaskClient, family: dict[str, Resident], *, ticked: list[str], events: list[str],
          notifier: str | dict[str, str] = "makoto") -> tuple[int, str]:
    """Household page → 受付を開始 as the clerk does it; returns the case id and the interview's path."""
    login(client, "counter")
    head = family["makoto"]
    data: dict[str, Any] = {"events": events, "subjects": [family[k].id for k in ticked]}
    if isinstance(notifier, str):
        data["notifier"] = str(family[notifier].id)
    else:
        data.update({"notifier": "other", **{f"notifier_{k}": v for k, v in notifier.items()}})
    started = post(client, f"/counter/residents/{head.id}", data)
    assert started.status_code == 302, started.get_data(as_text=True)[:800]
    case = db.session.scalars(db.select(Case).order_by(Case.id.desc())).first()
    assert re.fullmatch(r"/tasks/\d+", started.headers["Location"])
    return case.id, started.headers["Location"]


def interview(client: FlaskClient, path: str, **answers: Any) -> Any:
    page = client.get(path).get_data(as_text=True)
    return post(client, path, {**fill(page), "event_date": EVENT_DATE, **answers})


def documents(client: FlaskClient, case_id: int, **answers: Any) -> dict[str, CaseDocument]:
    path = f"/counter/cases/{case_id}/documents"
    page = client.get(path).get_data(as_text=True)
    made = post(client, path, {**fill(page), **answers})
    assert made.status_code == 302, made.get_data(as_text=True)[:2000]
    db.session.expire_all()
    return {d.doc_key: d for d in db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id))}


def text_of(doc: CaseDocument) -> str:
    return pdf_text(doc.pdf)


def line_with(text: str, label: str) -> str:
    """The (layout) line of the PDF text that holds ``label``, without spaces."""
    lines = [squeeze(line) for line in text.splitlines() if label in squeeze(line)]
    assert lines, f"{label} is not printed"
    return lines[0]


def test_seal_registration_is_asked_per_member_and_never_for_a_child(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "yoko", "daiki", "misaki"], events=["tennyu"])
    names = names_in(client.get(path).get_data(as_text=True))
    asked = {int(m) for m in re.findall(r"members\.(\d+)\.wants_seal", " ".join(names))}
    assert asked == {harada["makoto"].id, harada["yoko"].id}  # 15 or over, ticked; never the 10- and 4-year-old
    assert "wants_seal" not in names
    young = interview(client, path, **{f"members.{harada['misaki'].id}.wants_seal": "true"})
    assert young.status_code == 422 and "15歳" in young.get_data(as_text=True)
    done = interview(client, path, **{f"members.{harada['makoto'].id}.wants_seal": "true"})
    assert done.status_code == 302
    seal = next(p for p in list_for_case(case_id) if p.code == "seal.register")
    docs = documents(client, case_id)
    assert sorted(k for k in docs if k.startswith("seal_register")) == [f"seal_register.{harada['makoto'].id}"]
    assert "原田誠" in squeeze(text_of(docs[f"seal_register.{harada['makoto'].id}"])) and seal.state == "open"


def test_the_chosen_notifier_is_printed_with_the_relation_to_each_subject(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "yoko", "daiki", "misaki"], events=["tennyu"],
                          notifier="yoko")
    assert interview(client, path).status_code == 302
    docs = documents(client, case_id)
    relation = {who: line_with(text_of(docs[f"kokuho_join.{harada[who].id}"]), "対象者との関係")
                for who in ("makoto", "yoko", "daiki")}
    assert relation["yoko"].endswith("本人") and relation["daiki"].endswith("母") and relation["makoto"].endswith("妻")
    for key in (f"kokuho_join.{harada['makoto'].id}", "juki_tennyu"):
        printed = squeeze(text_of(docs[key]))
        assert re.search("届出人(氏名)?原田陽子", printed) and not re.search("届出人(氏名)?原田誠", printed), printed


def test_an_entered_notifier_is_printed_as_entered_and_the_guide_asks_for_a_letter_of_attorney(
        client: FlaskClient, harada) -> None:
    entered = {"name": "佐々木 健", "kana": "ササキ ケン", "address": "広島県広島市中区基町10-52",
               "relation": "代理人", "phone": "082-111-2222"}
    case_id, path = start(client, harada, ticked=["makoto"], events=["tennyu"], notifier=entered)
    assert interview(client, path).status_code == 302
    docs = documents(client, case_id)
    text = squeeze(text_of(docs["juki_tennyu"]))
    assert "佐々木健" in text and "基町10-52" in text and "082-111-2222" in text
    assert line_with(text_of(docs[f"kokuho_join.{harada['makoto'].id}"]), "対象者との関係").endswith("代理人")
    assert "委任状" in squeeze(text_of(docs["guide"]))


def test_the_household_form_lists_exactly_the_ticked_members(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "yoko", "daiki", "misaki"], events=["tennyu"])
    assert interview(client, path).status_code == 302
    docs = documents(client, case_id)
    text = squeeze(text_of(docs["juki_tennyu"]))
    assert all(harada[k].name.replace(" ", "") in text for k in ("makoto", "yoko", "daiki", "misaki"))
    assert "原田和子" not in text  # the grandmother stays: she was not ticked
    assert not any(str(harada["kazuko"].id) in k for k in docs)


@pytest.mark.parametrize("typed", ["令和8年4月1日", "R8.4.1", "令8.4.1", "２０２６－０４－０１", "2026/4/1"])
def test_event_dates_as_staff_type_them(client: FlaskClient, harada, typed: str) -> None:
    case_id, path = start(client, harada, ticked=["makoto"], events=["tennyu"])
    done = interview(client, path, event_date=typed)
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    juki = next(p for p in list_for_case(case_id) if p.code == "juki.tennyu")
    assert juki.due_date == date(2026, 4, 15)
    assert "令和8年4月15日" in client.get(f"/counter/cases/{case_id}").get_data(as_text=True)


@pytest.mark.parametrize(("typed", "why"), [("0001-08-04", "1868"), ("令和9年1月1日", "未来"),
                                             ("平成2年1月1日", "生年月日"), ("令和8年13月1日", "1〜12")])
def test_implausible_event_dates_are_refused_with_the_reason(client: FlaskClient, harada, typed: str,
                                                             why: str) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "daiki"], events=["tennyu"])
    refused = interview(client, path, event_date=typed)
    assert refused.status_code == 422 and why in refused.get_data(as_text=True)
    assert list_for_case(case_id) == []


def test_a_corrected_event_date_recomputes_due_dates_until_the_hand_over(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto"], events=["tennyu"])
    assert interview(client, path, event_date="令和8年11月2日").status_code == 302
    summary = f"/counter/cases/{case_id}"
    changed = post(client, f"{summary}/event-date", {"event_date": "令和8年11月20日"}, page=summary)
    assert changed.status_code == 302
    db.session.expire_all()
    juki = next(p for p in list_for_case(case_id) if p.code == "juki.tennyu")
    assert juki.due_date == date(2026, 12, 4)
    assert db.session.get(CaseTask, juki.task_id).due_at.date() == date(2026, 12, 4)
    documents(client, case_id)
    sign_and_hand_over(client, case_id)
    late = post(client, f"{summary}/event-date", {"event_date": "令和8年11月21日"}, page=summary)
    assert "送付済み" in client.get(late.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert next(p for p in list_for_case(case_id) if p.code == "juki.tennyu").due_date == date(2026, 12, 4)


def test_tennyu_with_a_certificate_asks_the_certificate_before_it_determines(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto"], events=["tennyu", "shomei"])
    assert "cert_juminhyo" in names_in(client.get(path).get_data(as_text=True))
    done = interview(client, path, cert_juminhyo="true", requester="self")
    assert done.status_code == 302, done.get_data(as_text=True)[:1500]
    assert {"juki.tennyu", "cert.juminhyo"} <= {p.code for p in list_for_case(case_id)}


def test_a_combined_visit_never_stops_for_an_answer_nobody_gave(client: FlaskClient, harada) -> None:
    """Only the certificate is chosen (no 請求者, no other answer): the visit goes on. With no certificate the
    clerk is told to choose one, on the form, and nothing is determined yet."""
    case_id, path = start(client, harada, ticked=["makoto", "kazuko"], events=["tennyu", "shomei"])
    refused = interview(client, path)
    assert refused.status_code == 422 and "交付する証明書を一つ以上選んでください" in refused.get_data(as_text=True)
    assert list_for_case(case_id) == []
    assert interview(client, path, cert_juminhyo="true").status_code == 302
    assert "juki.tennyu" in {p.code for p in list_for_case(case_id)}


def test_a_section_form_starts_from_its_own_data_only(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "daiki", "kazuko"], events=["tennyu"])
    assert interview(client, path, counter_note="窓口から：午後に再来庁").status_code == 302
    procs = {p.code: p for p in list_for_case(case_id)}
    gakko, kaigo = procs["gakko.tennyu"], procs["kaigo.join"]
    as_handed_over(case_id)
    client.post("/logout", data={})
    login(client, "gakko")
    done = post(client, f"/tasks/{gakko.task_id}", {"outcome": "cancelled", "reason": "私立に通学",
                                                    "note": "学校教育課のメモ"})
    assert done.status_code == 302
    login(client, "kourei")
    page = client.get(f"/tasks/{kaigo.task_id}").get_data(as_text=True)
    form = page.split('class="card task-form"', 1)[1]
    assert "学校教育課のメモ" not in form and "私立に通学" not in form and "selected" not in form
    assert "窓口から：午後に再来庁" in page  # the counter's note, shown for the section
    login(client, "manager")
    case_page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    section = case_page.split('data-code="gakko.tennyu"', 1)[1].split("</tr>", 1)[0]
    assert "学校教育課のメモ" in section


def test_the_guide_page_is_the_guide_pdf_and_times_are_japan_time(client: FlaskClient, harada) -> None:
    case_id, path = start(client, harada, ticked=["makoto", "yoko"], events=["tennyu"])
    assert interview(client, path).status_code == 302
    docs = documents(client, case_id)
    sign_and_hand_over(client, case_id)
    page = client.get(f"/counter/cases/{case_id}/guide").get_data(as_text=True)
    db.session.expire_all()
    guide = db.session.scalar(db.select(CaseDocument).where(CaseDocument.case_id == case_id,
                                                            CaseDocument.kind == "guide"))
    assert f"/api/v1/documents/{guide.id}" in page or f"/cases/{case_id}/guide.pdf" in page
    assert "待合でお待ちください" not in page and docs["guide"].id == guide.id
    summary = client.get(f"/counter/cases/{case_id}").get_data(as_text=True)
    assert "UTC" not in summary
    assert db.session.scalar(db.select(db.func.count(CaseProcedure.id))) > 0


def test_the_child_allowance_claim_lists_the_children_not_the_parents(client: FlaskClient, harada) -> None:
    """The 児童手当 認定請求書 is one document of the visit: its table lists the children the procedure concerns,
    not every ticked member (the walk of round 3 found the claimant and his wife listed as if children)."""
    case_id, path = start(client, harada, ticked=["makoto", "yoko", "daiki", "misaki"], events=["tennyu"])
    assert interview(client, path).status_code == 302
    claim = documents(client, case_id)["jidou_nintei"]
    table = squeeze(text_of(claim)).split(squeeze("氏名（フリガナ）"), 1)[1]
    assert squeeze(harada["daiki"].name) in table and squeeze(harada["misaki"].name) in table
    assert squeeze(harada["makoto"].name) not in table and squeeze(harada["yoko"].name) not in table
    assert set(claim.subject_ids) == {harada["daiki"].id, harada["misaki"].id}


def test_a_visit_with_no_procedure_says_so_after_the_interview(client: FlaskClient, harada, tmp_path) -> None:
    """A visit whose interview determined nothing (here a city's own 証明書交付 table without a 住民票 rule): the
    summary says no procedure applies, not that the determination is still to come (the walk of round 3)."""
    table = (REPO_ROOT / "bpmn" / "decisions" / "proc_cert.dmn").read_text(encoding="utf-8")
    without = tmp_path / "proc_cert.dmn"
    without.write_text(table.replace('<inputEntry id="r1_i1"><text>"shomei"</text>',
                                     '<inputEntry id="r1_i1"><text>"none"</text>'), encoding="utf-8")
    deploy_library(without)
    case_id, path = start(client, harada, ticked=["makoto"], events=["shomei"])
    before = client.get(f"/counter/cases/{case_id}").get_data(as_text=True)
    assert "まだ判定されていません" in before
    assert interview(client, path, cert_juminhyo="true").status_code == 302
    after = client.get(f"/counter/cases/{case_id}").get_data(as_text=True)
    assert not list_for_case(case_id) and "該当する手続はありません" in after and "まだ判定されていません" not in after
