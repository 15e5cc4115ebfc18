"""One small city hall for the access tests: generated residents with a 支援措置 household, and three cases.

- ``routed``: a 転入 of a family (two children) about an ordinary resident, routed to 市民課, こども家庭課 and
  学校教育課, with the counter's answers (a bank account for 児童手当) and its documents generated; one member's
  record holds a 障害者手帳 grade. Another section (保険年金課) has no task in it.
- ``protected``: a 証明書交付 for the protected head of household, approved by the supervisor (支援措置確認), its
  procedure routed to 市民課 and its documents generated (masked).
- ``held``: a 証明書交付 for the same protected head, waiting for the supervisor.

Cases are started through the runtime (the API's start schema is the visit's); everything after goes through the
services the pages and API call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from core.db import db
from residents.models import Resident
from tests.conftest import actor, deploy_library
from tests.integrations.residents_support import load
from workflows import runtime
from workflows.determination import household as households
from workflows.visit import answers as visit
from workflows.visit.models import CaseDocument

SEED, COUNT = 2, 200  # this seed's 200 residents hold one 支援措置 household (世帯主 + 妻 + 子)
BANK = "山口銀行 本店 普通 7654321"
TECHO = "身体 第12345号"
ANSWERS = {"previous_address": "広島県広島市中区基町10-52", "applicant_name": "届出　太郎",
           "applicant_kana": "トドケデ　タロウ", "phone": "083-922-4111", "claimant_job": "kosei",
           "bank_account": BANK, "children_count": 2, "previous_school": "広島市立基町小学校", "grade": "3",
           "moved_in_on": "2026-11-20", "insurance_symbol": "12-3456",
           "techo_kind": "shintai", "techo_no": TECHO, "change_kind": "address"}
CERTIFICATE = {"copies": 1, "scope": "self", "purpose": "相続手続"}
STATUS_URL = "https://madoguchi.example/status/test"


@dataclass(frozen=True)
class City:
    head: Resident  # protected (支援措置, 申出者)
    member: Resident  # the head's household, not flagged themselves
    other: Resident  # an ordinary resident
    routed: int
    protected: int
    held: int

    def documents(self, case_id: int) -> list[CaseDocument]:
        db.session.expire_all()
        return list(db.session.scalars(select(CaseDocument).where(CaseDocument.case_id == case_id)
                                       .order_by(CaseDocument.id)))

    def tasks(self, case_id: int, state: str = "ready") -> list:
        return [t for t in runtime.get_case(case_id).tasks if t.state == state]


def residents() -> tuple[Resident, Resident, Resident]:
    from integrations.imports import generator

    rows = list(generator.generate(COUNT, seed=SEED))
    flagged = [r for r in rows if r["support_measure"]]
    flagged[-1].update(support_measure="", support_measure_from="", support_measure_until="",
                       support_measure_relation="")  # a member of the household who is not flagged
    assert load(rows).status == "succeeded"
    head = db.session.scalar(select(Resident).where(Resident.support_measure.is_(True), Resident.relation == "世帯主"))
    member = db.session.scalar(select(Resident).where(Resident.setai_no == head.setai_no,
                                                      Resident.support_measure.is_(False)))
    other = db.session.scalar(select(Resident).where(Resident.setai_no != head.setai_no,
                                                     Resident.relation == "世帯主").order_by(Resident.id))
    return head, member, other


def prepare(case_id: int, values: dict) -> None:
    """The counter answers what the visit's forms ask (each question by its field's name, per person too) and makes
    the documents — as the documents page would, whatever key the visit stores an answer under."""
    answers: dict = {}
    members: dict = {}
    for q in visit.questions(case_id=case_id, everything=True):
        if q.field.name not in values:
            continue
        if q.member is None:
            answers[q.key] = values[q.field.name]
        else:
            members.setdefault(str(q.member), {})[q.key] = values[q.field.name]
    visit.prepare_documents(case_id=case_id, values=answers, members=members, actor=actor("counter"),
                            status_url=STATUS_URL)


def _complete(task_id: int, user: str, data: dict) -> None:
    runtime.complete_task(task_id=task_id, data=data, actor=actor(user))
    db.session.commit()


FAMILY = [
    {"birth_date": "1985-03-03", "relation": "世帯主", "subject": True, "insurance": "shaho", "pension_category": "2"},
    {"birth_date": "1987-01-01", "relation": "妻", "subject": True, "insurance": "shaho", "pension_category": "3",
     "disability": "shintai4"},
    {"birth_date": "2011-05-05", "relation": "子", "subject": True, "insurance": "shaho"},
    {"birth_date": "2018-05-05", "relation": "子", "subject": True, "insurance": "shaho"},
]


def routed_visit(resident: Resident) -> int:
    """A 転入 of a family: tasks for 市民課, こども家庭課 and 学校教育課; answers stored; documents made."""
    case = runtime.start_case(process_key="journey_tennyu", actor=actor("counter"), resident_id=resident.id,
                              data={"household": FAMILY, "ticket_no": "A-301"}, title=f"転入 {resident.name} 様")
    db.session.commit()
    [interview] = [t for t in case.tasks if t.state == "ready"]
    _complete(interview.id, "counter", {"event_date": "2026-11-20"})
    prepare(case.id, ANSWERS)
    db.session.commit()
    return case.id


def certificate(resident: Resident, *, approve: bool) -> int:
    """A third party's certificate request about ``resident``; with ``approve`` the supervisor lets it through
    and the documents are generated."""
    case = runtime.start_case(process_key="journey_shomei", actor=actor("counter"), resident_id=resident.id,
                              data={"resident_id": resident.id, "household": households.household_for(resident.id),
                                    "applicant_name": "代理 一郎", "ticket_no": "A-302"})
    db.session.commit()
    [interview] = [t for t in case.tasks if t.state == "ready"]
    _complete(interview.id, "counter", {"event_date": date(2026, 11, 20).isoformat(), "cert_juminhyo": True,
                                        "requester": "proxy"})
    if approve:
        [review] = [t for t in runtime.get_case(case.id).tasks if t.state == "ready"]
        _complete(review.id, "shien", {"protection_decision": "approve", "protection_reason": "委任状を本人に確認"})
        prepare(case.id, CERTIFICATE)
        db.session.commit()
    return case.id


def build() -> City:
    deploy_library()
    head, member, other = residents()
    return City(head=head, member=member, other=other, routed=routed_visit(other),
                protected=certificate(head, approve=True), held=certificate(head, approve=False))
