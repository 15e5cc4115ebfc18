"""A 印鑑登録証明書 is only issued for a registered seal: an interview that asks for one for a person the resident
DB knows to have no registration is refused on the question, with the reason.

Found walking a 証明書 visit: the visit determined the 証明書, printed its 交付申請書 and sent it to 市民課 for a
resident without a registration — a certificate the section can only refuse, after the resident has waited. The
register says who is registered (``seal_registered``, imported with the household's facts); a registration made
on this visit (印鑑登録申請) is a 転入's or a 出生's, not a 証明書交付's, so nothing here waits for one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.errors import Invalid
from core.i18n import N_
from workflows import runtime
from workflows.models import CaseTask

FIELD = "cert_inkan"


def _unregistered(case_data: dict[str, Any]) -> list[str]:
    """The names of the ticked members the register knows to have no seal registration."""
    household = case_data.get("household") or []
    return [str(m.get("name") or "") for m in household
            if isinstance(m, dict) and m.get("subject") and m.get("seal_registered") is False]


def completion_check(*, task: CaseTask, form: Any, data: dict[str, Any], now: datetime | None) -> None:
    """Refuse a 印鑑登録証明書 asked for a person without a registration (a completion check)."""
    if form is None or FIELD not in {f.name for f in form.fields} or data.get(FIELD) is not True:
        return
    names = _unregistered(runtime.case_data(task.case))
    if names:
        message = N_("{names}さんは印鑑登録がないため、印鑑登録証明書は交付できません（登録は印鑑登録申請で行います）",
                     names="、".join(names))
        raise Invalid(message, details={"fields": {FIELD: [message]}})
