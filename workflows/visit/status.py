"""The public status page of a case: reached by an unguessable token (the guide's QR code), shows no person.

Only the ticket number and each procedure's name, section and state are given out: no name, no address, no
date of birth, no case id — nothing that identifies the resident.
"""

from __future__ import annotations

import secrets
from typing import Any

from core import users
from core.db import db
from core.errors import NotFound
from core.i18n import N_
from workflows import runtime
from workflows.visit import context as ctx
from workflows.visit.models import CaseStatusLink

STATE_LABELS = {"done": N_("手続済"), "open": N_("未了（各窓口でお手続きください）")}


def token_for(case_id: int) -> str:
    """The case's status token, created on first use (256 bits from ``secrets``)."""
    link = db.session.scalar(db.select(CaseStatusLink).where(CaseStatusLink.case_id == case_id))
    if link is None:
        runtime.get_case(case_id)
        link = CaseStatusLink(case_id=case_id, token=secrets.token_urlsafe(32))
        db.session.add(link)
        db.session.flush()
    return link.token


def public_status(token: str) -> dict[str, Any]:
    """Ticket number and procedure states for ``token``; NotFound for any unknown or malformed token."""
    link = None
    if 20 <= len(token) <= 64:
        link = db.session.scalar(db.select(CaseStatusLink).where(CaseStatusLink.token == token))
    if link is None:
        raise NotFound("このページは存在しません")
    case = runtime.get_case(link.case_id)
    data = runtime.case_data(case)
    sections = {s.code: s.name for s in users.list_sections()}
    return {"ticket_no": str(data.get("ticket_no") or case.id),
            "finished": case.state == "completed",
            "procedures": [{"name": p.name, "section": sections.get(p.section_code, p.section_code),
                            "state": STATE_LABELS.get(p.state, p.state)} for p in ctx.procedures(case.id)]}
