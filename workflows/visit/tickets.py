"""Numbered tickets (整理券) and calls: issue per purpose, call the next number at a counter, re-call, skip,
transfer to a section, and link the ticket to the visit's case when the clerk starts it.

A ticket waits in the queue of one section (the purpose's, then wherever it is transferred); a counter (窓口)
belongs to one section and calls that section's oldest waiting ticket. Calling the next number ends the
counter's current service, and every service ends as one measured row (``TicketService``) that the wait
estimates (``workflows.visit.waits``) learn from. Everything here only flushes; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.actor import Actor
from core.calendar import JST
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_
from core.models import Counter, Section
from workflows.visit.queue_models import Ticket, TicketService

SUPERVISOR_SECTION = "shien"  # 支援措置確認 works no queue (residents.protection.SUPERVISOR_SECTION)
ISSUE_ROLES = ("counter", "admin")
CALL_ROLES = ("counter", "section", "admin")
NUMBER_ATTEMPTS = 10
# How often the edge re-runs a call that lost the race for the head of the queue (``core.tx.atomic(retries=)``):
# on SQLite every counter calling at once reads the same head, and each loser takes the next one on its retry.
CALL_RETRIES = 8


@dataclass(frozen=True)
class Purpose:
    """What a resident comes for: the ticket's letter, its label, and the section whose queue it joins."""

    code: str
    label: str
    prefix: str
    section: str
    minutes: int  # the handling time assumed before any has been measured today


PURPOSES = {p.code: p for p in (
    Purpose("ido", N_("転入・転出・転居"), "A", "madoguchi", 15),
    Purpose("shussei_shibo", N_("出生・死亡・婚姻など"), "B", "madoguchi", 20),
    Purpose("shomei", N_("住民票・戸籍などの証明"), "C", "shimin", 5),
    Purpose("hoken", N_("保険・年金"), "D", "hoken", 10),
    Purpose("kodomo", N_("子育て・手当"), "E", "kodomo", 12),
)}
STATE_LABELS = {"waiting": N_("お待ちください"), "called": N_("お呼び出し中"),
                "done": N_("受付済"), "skipped": N_("呼出済（不在）")}


def day_of(now: datetime) -> date:
    return now.astimezone(JST).date()


def purpose_of(ticket: Ticket) -> Purpose:
    return PURPOSES[ticket.purpose]


def issue(*, purpose: str, actor: Actor, now: datetime | None = None) -> Ticket:
    """A new ticket for ``purpose``: the day's next number of its letter, waiting at the purpose's section."""
    if not actor.has_role(*ISSUE_ROLES):
        raise Forbidden(N_("整理券は総合窓口で発行します"))
    chosen = PURPOSES.get(purpose or "")
    if chosen is None:
        raise Invalid(N_("用件を選んでください"),
                      details={"fields": {"purpose": [N_("次のいずれか：{codes}", codes="、".join(PURPOSES))]}})
    now = now or utcnow()
    ticket = _numbered(chosen, now, actor)
    audit.record(actor=actor, action="ticket.issue", target_type="ticket", target_id=str(ticket.id),
                 details={"label": ticket.label, "purpose": purpose})
    return ticket


def _numbered(purpose: Purpose, now: datetime, actor: Actor) -> Ticket:
    """The day's next number of ``purpose``, inserted; two receptions drawing at once: the loser of the unique
    number takes the next one (a savepoint each, so nothing else of the transaction is lost)."""
    day = day_of(now)
    for _ in range(NUMBER_ATTEMPTS):
        last = db.session.scalar(select(func.max(Ticket.number)).where(Ticket.day == day,
                                                                       Ticket.purpose == purpose.code))
        number = (last or 0) + 1
        ticket = Ticket(day=day, purpose=purpose.code, number=number, label=f"{purpose.prefix}-{number:03d}",
                        section_code=purpose.section, state="waiting", issued_at=now, queued_at=now,
                        issued_by=actor.username, token=secrets.token_urlsafe(32), call_count=0)
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
        except IntegrityError:
            continue
        return ticket
    raise Conflict(N_("整理券の番号を取れませんでした。もう一度発行してください"))


def get(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(N_("整理券が見つかりません"))
    return ticket


def get_for(*, actor: Actor, ticket_id: int) -> Ticket:
    """The ticket, for staff who may act on it: the counter and administrators any, section staff those
    waiting at or called to one of their sections (a ticket names no person: nothing else to hide)."""
    ticket = get(ticket_id)
    if actor.has_role("counter", "admin") or (actor.has_role("section") and ticket.section_code in actor.sections):
        return ticket
    raise Forbidden(N_("この整理券を扱う権限がありません"))


def counter_named(number: str) -> Counter:
    counter = db.session.scalar(select(Counter).where(Counter.number == (number or "").strip()))
    if counter is None or not counter.active or not counter.section_code:
        raise Invalid(N_("窓口の番号が正しくありません（使用中の窓口を選んでください）"),
                      details={"fields": {"counter": [number or N_("未入力")]}})
    return counter


def counters_for(actor: Actor) -> list[Counter]:
    """The active counters ``actor`` may call at: every one for the counter role, their sections' for sections."""
    rows = db.session.scalars(select(Counter).where(Counter.active.is_(True), Counter.section_code.is_not(None))
                              .order_by(Counter.number))
    if actor.has_role("counter", "admin"):
        return list(rows)
    return [c for c in rows if c.section_code in actor.sections]


def _check_counter(actor: Actor, counter: Counter) -> None:
    if not actor.has_role(*CALL_ROLES) or counter not in counters_for(actor):
        raise Forbidden(N_("{counter}で呼び出す権限がありません", counter=counter.name))


def at_counter(counter: str, *, now: datetime | None = None) -> Ticket | None:
    """The ticket the counter is serving now (called there today and not yet moved on)."""
    return db.session.scalar(select(Ticket).where(Ticket.day == day_of(now or utcnow()), Ticket.state == "called",
                                                  Ticket.counter == counter)
                             .order_by(Ticket.last_called_at.desc()).limit(1))


def _end_service(ticket: Ticket, now: datetime, state: str) -> None:
    """End the ticket's service at its counter: one measured row, and the ticket ``state``."""
    if ticket.state == "called" and ticket.called_at is not None and ticket.counter:
        seconds = max(0, int((now - ticket.called_at).total_seconds()))
        db.session.add(TicketService(ticket_id=ticket.id, day=ticket.day, purpose=ticket.purpose,
                                     section_code=ticket.section_code, counter=ticket.counter,
                                     started_at=ticket.called_at, ended_at=now, seconds=seconds))
    ticket.state, ticket.finished_at = state, now


def call_next(*, counter: str, actor: Actor, now: datetime | None = None) -> Ticket | None:
    """End the counter's current service and call the oldest waiting ticket of its section (None: nobody waits)."""
    now = now or utcnow()
    place = counter_named(counter)
    _check_counter(actor, place)
    current = at_counter(place.number, now=now)
    if current is not None:
        _end_service(current, now, "done")
    # Counters calling at the same moment each take a different ticket: the row another caller has locked is
    # skipped (PostgreSQL; SQLite runs one writer at a time), so nobody loses the race and retries.
    ticket = db.session.scalar(select(Ticket).where(Ticket.day == day_of(now), Ticket.state == "waiting",
                                                    Ticket.section_code == place.section_code)
                               .order_by(Ticket.queued_at, Ticket.id).limit(1).with_for_update(skip_locked=True))
    if ticket is not None:
        ticket.state, ticket.counter, ticket.called_by = "called", place.number, actor.username
        ticket.called_at = ticket.last_called_at = now
        ticket.call_count = 1
        audit.record(actor=actor, action="ticket.call", target_type="ticket", target_id=str(ticket.id),
                     details={"label": ticket.label, "counter": place.number})
    db.session.flush()
    return ticket


def recall(*, ticket_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """Call a called ticket again (it shows at the top of the board again)."""
    ticket = get_for(actor=actor, ticket_id=ticket_id)
    if ticket.state != "called":
        raise Conflict(N_("呼び出し中の整理券だけを再呼出しできます"), details={"state": ticket.state})
    ticket.last_called_at, ticket.call_count = now or utcnow(), ticket.call_count + 1
    db.session.flush()
    audit.record(actor=actor, action="ticket.recall", target_type="ticket", target_id=str(ticket.id),
                 details={"label": ticket.label, "times": ticket.call_count})
    return ticket


def skip(*, ticket_id: int, actor: Actor, now: datetime | None = None) -> Ticket:
    """The resident did not come when called (or left): the ticket leaves the queue."""
    ticket = get_for(actor=actor, ticket_id=ticket_id)
    if ticket.state not in ("waiting", "called"):
        raise Conflict(N_("この整理券はもう受付が終わっています"), details={"state": ticket.state})
    ticket.state, ticket.finished_at = "skipped", now or utcnow()
    db.session.flush()
    audit.record(actor=actor, action="ticket.skip", target_type="ticket", target_id=str(ticket.id),
                 details={"label": ticket.label})
    return ticket


def transfer(*, ticket_id: int, section: str, actor: Actor, now: datetime | None = None) -> Ticket:
    """Send the ticket to ``section``'s queue (its service here ends; it waits there from now, same number)."""
    ticket = get_for(actor=actor, ticket_id=ticket_id)
    if db.session.get(Section, section or "") is None or section == SUPERVISOR_SECTION:
        raise Invalid(N_("回付先の課が正しくありません"), details={"fields": {"section": [section or N_("未入力")]}})
    if ticket.state not in ("waiting", "called"):
        raise Conflict(N_("この整理券はもう受付が終わっています"), details={"state": ticket.state})
    now = now or utcnow()
    _end_service(ticket, now, "waiting")
    ticket.section_code, ticket.counter, ticket.queued_at, ticket.finished_at = section, None, now, None
    ticket.called_at = ticket.last_called_at = None
    db.session.flush()
    audit.record(actor=actor, action="ticket.transfer", target_type="ticket", target_id=str(ticket.id),
                 details={"label": ticket.label, "section": section})
    return ticket


def serving(*, actor: Actor, now: datetime | None = None) -> Ticket | None:
    """The ticket ``actor`` called last today and is still serving, if any (the counter's start uses its number)."""
    return db.session.scalar(select(Ticket).where(Ticket.day == day_of(now or utcnow()), Ticket.state == "called",
                                                  Ticket.called_by == actor.username)
                             .order_by(Ticket.last_called_at.desc()).limit(1))


def by_token(token: str) -> Ticket | None:
    if not 20 <= len(token or "") <= 64:
        return None
    return db.session.scalar(select(Ticket).where(Ticket.token == token))


def for_case(case_id: int) -> Ticket | None:
    return db.session.scalar(select(Ticket).where(Ticket.case_id == case_id).order_by(Ticket.id.desc()).limit(1))


def today(*, now: datetime | None = None) -> list[Ticket]:
    """Today's tickets, in queue order."""
    return list(db.session.scalars(select(Ticket).where(Ticket.day == day_of(now or utcnow()))
                                   .order_by(Ticket.queued_at, Ticket.id)))
