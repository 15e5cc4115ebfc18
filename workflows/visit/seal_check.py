"""A 印鑑登録証明書 is only issued for a registered seal: an interview that asks for one for a person the resident
DB knows to have no registration is refused on the question, with the reason.

Found walking a 証明書 visit: the visit determined the 証明書, printed its 交付申請書 and sent it to 市民課 for a
resident without a registration — a certificate the section can only refuse, after the resident has waited. The
register says who is registered (``seal_registered``, imported with the household's facts). A person who
registers on this very visit (a 転入 with a certificate: 印鑑登録を希望 ticked for them in the combined interview)
may have the certificate once registered, so they are not refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.errors import Invalid
from core.i18n import N_
from forms.taskforms import MEMBERS
from workflows import runtime
from workflows.models import CaseTask

FIELD = "cert_inkan"
REGISTERS = "wants_seal"  # the interview's per-person 印鑑登録を希望 (a 転入's)


def _unregistered(case_data: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """The names of the ticked members the register knows to have no seal registration and who do not register
    on this visit."""
    household = case_data.get("household") or []
    registering = {str(i) for i, answers in (data.get(MEMBERS) or {}).items()
                   if isinstance(answers, dict) and answers.get(REGISTERS) is True}
    return [str(m.get("name") or "") for m in household
            if isinstance(m, dict) and m.get("subject") and m.get("seal_registered") is False
            and str(m.get("resident_id")) not in registering]


def completion_check(*, task: CaseTask, form: Any, data: dict[str, Any], now: datetime | None) -> None:
    """Refuse a 印鑑登録証明書 asked for a person without a registration (a completion check)."""
    if form is None or FIELD not in {f.name for f in form.fields} or data.get(FIELD) is not True:
        return
    names = _unregistered(runtime.case_data(task.case), data)
    if names:
        message = N_("{names}さんは印鑑登録がないため、印鑑登録証明書は交付できません（登録は印鑑登録申請で行います）",
                     names="、".join(names))
        raise Invalid(message, details={"fields": {FIELD: [message]}})
