"""The waiting-area display board (呼出表示): ticket numbers being called and waiting, by section.

Contract: the board is public (a screen in the waiting area, no staff login), so it gives out nothing that
identifies a resident — no name, kana, address, birth date, case title, procedure or task name — only the ticket
number and the section (窓口) the ticket waits at. A case about a 支援措置 household (the resident or anyone of
their household flagged) is left off the board altogether, ticket number included: staff call that resident in
person (city rule, fail closed — a number next to a section would tell a watcher where the victim stands).
Tasks of the supervisor's lane (支援措置確認) never appear either.

The numbered tickets (``workflows.visit.tickets``) show the same way: the numbers being called with their
counter, and per purpose how many wait, the next numbers and the estimated wait (``workflows.visit.waits``); a
ticket linked to a protected household's case is left off, as its tasks are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from core import users
from core.calendar import JST, day_bounds
from core.db import db, utcnow
from core.errors import Invalid
from core.i18n import N_
from core.models import Counter
from residents import protection
from workflows import runtime
from workflows.models import Case, CaseTask
from workflows.visit import tickets as ticket_service
from workflows.visit import waits

CALLS_SHOWN = 8  # the latest calls on the screen
NEXT_SHOWN = 4  # the next numbers shown per purpose
LIMIT = 200  # ready tasks read per refresh: a busy morning at one city hall stays far below
# (case id, version, created) → ticket number: a workflow is loaded once per change, not on every refresh
_tickets: dict[tuple[int, int, datetime], str] = {}


@dataclass
class Board:
    """What the screen shows: tickets called (a clerk took the task) and waiting, per section."""

    called: list[tuple[str, str]] = field(default_factory=list)  # (ticket, section name)
    waiting: dict[str, list[str]] = field(default_factory=dict)  # section name → tickets, longest wait first
    updated_at: datetime | None = None
    calls: list[Call] = field(default_factory=list)  # tickets being called, the latest first
    queues: list[PurposeQueue] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """A ticket number called to a counter (``times`` > 1: called again)."""

    ticket: str
    counter: str
    times: int
    at: datetime


@dataclass(frozen=True)
class PurposeQueue:
    """One purpose's line: how many wait, the next numbers, and the wait a ticket drawn now can expect."""

    code: str
    label: str
    waiting: int
    next_numbers: list[str]
    minutes: int


def ticket_no(case: Case) -> str:
    """The ticket number the resident holds: the one given at reception (``ticket_no``) or the case number."""
    key = (case.id, case.version, case.created_at)
    if key not in _tickets:
        if len(_tickets) > 5000:
            _tickets.clear()
        _tickets[key] = str(runtime.case_data(case).get("ticket_no") or case.id)
    return _tickets[key]


def board(*, section: str = "", now: datetime | None = None) -> Board:
    """Today's ready tasks as ticket numbers per section, without protected households (see the module)."""
    now = now or utcnow()
    names = {s.code: s.name for s in users.list_sections()}
    if section and section not in names:
        raise Invalid(N_("窓口の指定が正しくありません"), details={"section": section})
    stmt = (select(CaseTask).join(Case).options(contains_eager(CaseTask.case))
            .where(CaseTask.state == "ready", Case.state == "running",
                   CaseTask.created_at >= day_bounds(now.astimezone(JST).date())[0],
                   CaseTask.section_code != protection.SUPERVISOR_SECTION))
    if section:
        stmt = stmt.where(CaseTask.section_code == section)
    tasks = list(db.session.scalars(stmt.order_by(CaseTask.created_at, CaseTask.id).limit(LIMIT)))
    hidden = protection.case_marks({t.case for t in tasks})
    result, seen = Board(updated_at=now), set()
    for task in tasks:
        where = names.get(task.section_code or "", "")
        if task.case_id in hidden or not where or (task.case_id, where) in seen:
            continue
        seen.add((task.case_id, where))
        if task.assignee:
            result.called.append((ticket_no(task.case), where))
        else:
            result.waiting.setdefault(where, []).append(ticket_no(task.case))
    _add_tickets(result, now)
    return result


def _add_tickets(result: Board, now: datetime) -> None:
    """Today's called tickets and each purpose's queue, without the tickets of protected households' cases."""
    today = ticket_service.today(now=now)
    linked = [t.case_id for t in today if t.case_id]
    cases = list(db.session.scalars(select(Case).where(Case.id.in_(linked)))) if linked else []
    hidden = protection.case_marks(cases)
    shown = [t for t in today if t.case_id not in hidden]
    counters = {c.number: c.name for c in db.session.scalars(select(Counter))}
    called = sorted((t for t in shown if t.state == "called"), key=lambda t: t.last_called_at or now, reverse=True)
    result.calls = [Call(ticket=t.label, counter=counters.get(t.counter or "", t.counter or ""), times=t.call_count,
                         at=t.last_called_at or now) for t in called[:CALLS_SHOWN]]
    estimates = waits.estimate(now=now)
    for code, purpose in ticket_service.PURPOSES.items():
        line = [t.label for t in shown if t.state == "waiting" and t.purpose == code]
        result.queues.append(PurposeQueue(code=code, label=purpose.label, waiting=estimates.waiting.get(code, 0),
                                          next_numbers=line[:NEXT_SHOWN],
                                          minutes=waits.minutes(estimates.new_ticket.get(code, 0.0)) or 0))
