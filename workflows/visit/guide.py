"""The visit's procedures as people read them — on the counter's screens, the section's task page, the API and the
手続案内書 (one PDF: the page shows and prints that same document).

Each procedure names the person(s) it is for and why: the DMN rule's annotation (「転入で前住所地の登録は失効:
希望者は登録」), with the rule id as a detail; its section and counter, the due date in 和暦, what to bring (the
rule's list and the forms' guide, without repeats).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import segno

from core import users
from core.errors import NotFound
from forms import printforms, wareki
from workflows.determination.models import CaseProcedure, list_for_case
from workflows.visit import guidetexts
from workflows.visit import notifier as notifier_rules

TITLE = "手続案内書"


@lru_cache(maxsize=256)
def status_qr(status_url: str) -> str:
    """The QR code of a visit's status page as an SVG data URI; kept per URL, since making one takes ~20 ms and a
    visit lays out its guide three times (documents, hand-over, the print)."""
    return segno.make(status_url, error="m").svg_data_uri(scale=4, border=2)
TEMPLATE = "guide.html"
STATE_LABELS = guidetexts.TEXTS["ja"]["states"]
HOW_TO = guidetexts.TEXTS["ja"]["how_to"]
PROXY_LETTER = guidetexts.TEXTS["ja"]["proxy_letter"]


@dataclass(frozen=True)
class ProcedureView:
    """One procedure as a person reads it."""

    id: int
    code: str
    name: str
    section: str
    section_name: str
    where: str
    due_date: date | None
    due: str  # 和暦
    bring: tuple[str, ...]
    reason: str
    rule: str
    subjects: tuple[dict[str, Any], ...]
    state: str
    state_label: str
    note: str = ""
    forms: tuple[str, ...] = field(default=())
    task_id: int | None = None
    removal_reason: str | None = None

    @property
    def people(self) -> str:
        return "・".join(str(s.get("name") or "") for s in self.subjects if s.get("name"))


def _printed(keys: list[str]) -> list[printforms.PrintForm]:
    found = []
    for key in keys:
        try:
            found.append(printforms.get(key))
        except NotFound:  # a form key without a printed form has no guide text
            continue
    return found


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").replace(",", "、").split("、") if t.strip()]


def view(proc: CaseProcedure, sections: dict[str, str]) -> ProcedureView:
    """``proc`` as people read it (``sections``: code → name)."""
    forms = _printed(proc.forms)
    guide = next((f.guide for f in forms if f.guide), {})
    listed = list(dict.fromkeys([*_split(proc.bring), *(b for f in forms for b in f.guide.get("bring", []))]))
    # without repeats: 「転出証明書」 goes when 「転出証明書（またはマイナンバーカード）」 is listed
    bring = [b for b in listed if not any(b != other and b in other for other in listed)]
    subjects = tuple({"resident_id": s.get("resident_id"), "name": s.get("name") or ""} for s in proc.subjects)
    return ProcedureView(
        id=proc.id, code=proc.code, name=proc.name, section=proc.section_code,
        section_name=sections.get(proc.section_code, proc.section_code),
        where=guide.get("where") or sections.get(proc.section_code, proc.section_code), due_date=proc.due_date,
        due=wareki.to_wareki(proc.due_date) if proc.due_date else "", bring=tuple(bring),
        reason=proc.rule_text or ("職員が追加" if proc.rule == "manual" else ""), rule=proc.rule,
        subjects=subjects, state=proc.state, state_label=STATE_LABELS.get(proc.state, proc.state),
        note=guide.get("note", ""), forms=tuple(proc.forms), task_id=proc.task_id, removal_reason=proc.reason)


def views(case_id: int, *, removed: bool = True) -> list[ProcedureView]:
    """The case's procedures as people read them (``removed``: with the ones withdrawn)."""
    sections = {s.code: s.name for s in users.list_sections()}
    return [view(p, sections) for p in list_for_case(case_id) if removed or p.state != "removed"]


def render_context(*, case_id: int, visit: dict[str, Any], status_url: str,
                   language: str = guidetexts.DEFAULT) -> dict[str, Any]:
    """What guide.html prints: the procedures, how to go about them, the QR code of the status page — its words
    in ``language`` (``guidetexts``: ja, easy, en)."""
    qr = status_qr(status_url)
    notifier = visit.get("notifier") or {}
    proxy = notifier_rules.needs_proxy_letter(notifier, visit["members"], on=date.fromisoformat(visit["today"]))
    return {"case": visit["case"], "today": visit["today"], "city": visit["city"],
            "procedures": views(case_id, removed=False), "qr": qr, "status_url": status_url, "how_to": HOW_TO,
            "notifier": visit["applicant"].get("name") or "", "proxy_letter": PROXY_LETTER if proxy else "",
            "t": guidetexts.texts(language), "language": language}
