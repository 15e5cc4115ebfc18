"""Starting a visit through the API for a household given as determination facts (the residents are written to
the resident DB first: a visit starts from ticked residents, never from facts a client sends)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.scenarios.client import VisitClient
from tests.support.families import from_facts
from tests.support.handover import as_handed_over


def start_visit(client: FlaskClient, event: str, household: list[dict[str, Any]], answers: dict[str, Any], *,
                on: str, events: list[str] | None = None, complete: bool = True,
                hand_over: bool = True) -> tuple[int, int, list[int]]:
    """(case id, interview task id, the residents' ids): the members marked ``subject`` ticked, the interview
    answered with ``answers`` (a per-person question gets the same answer for everyone it is asked of) and —
    ``hand_over`` — the visit's procedures released to the sections (tests.support.handover)."""
    residents = from_facts(household)
    ids = [r.id for r in residents]
    ticked = [r.id for r, m in zip(residents, household, strict=True) if m.get("subject")] or ids[:1]
    api = VisitClient(client)
    case = api.start(resident_id=ids[0], members=ticked, events=[event, *(events or [])],
                     process_key=f"journey_{event}")
    [task] = [t for t in case["tasks"] if t["state"] == "ready"]
    if complete:
        api.answer_task(task["id"], on=on, given={"event_date": on, **answers},
                        per_member={i: answers for i in ticked})
    if complete and hand_over:
        as_handed_over(case["id"])
    return case["id"], task["id"], ids
