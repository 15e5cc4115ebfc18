"""Wait estimates (待ち時間の目安) from today's measured handling times and the queue as it stands.

How long a ticket still waits is worked out the way the floor works: each section has as many servers as it
has active counters; a server that is serving now frees up when its current service is expected to end (the
mean handling time of that purpose at that section today, less what has already passed, at least a minute);
the tickets ahead go to whichever server frees up first, each taking its own purpose's mean; the ticket is
called when a server frees up after them. Means come from today's ``TicketService`` rows (purpose and section;
else the section's all-purpose mean; else the purpose's assumed minutes until something is measured).

Nothing here names a person: the estimates are per ticket number and per purpose.
"""

from __future__ import annotations

import heapq
from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from core.db import db, utcnow
from core.models import Counter
from workflows.visit import tickets
from workflows.visit.queue_models import Ticket, TicketService

MIN_REMAINING = 60.0  # seconds: a service running over its mean is still expected to take a little longer
MIN_SAMPLES = 3  # measured services before a purpose's own mean replaces the section's


@dataclass
class Means:
    """Today's mean handling time in seconds, per (section, purpose) and per section, with counts."""

    by_purpose: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    by_section: dict[str, tuple[float, int]] = field(default_factory=dict)

    def seconds(self, section: str, purpose: str) -> float:
        mean, count = self.by_purpose.get((section, purpose), (0.0, 0))
        if count >= MIN_SAMPLES:
            return mean
        overall, total = self.by_section.get(section, (0.0, 0))
        if total >= MIN_SAMPLES:
            return overall
        return tickets.PURPOSES[purpose].minutes * 60.0 if purpose in tickets.PURPOSES else 600.0


def means(*, now: datetime | None = None) -> Means:
    """Today's measured means (two grouped queries)."""
    day = tickets.day_of(now or utcnow())
    result = Means()
    rows = db.session.execute(select(TicketService.section_code, TicketService.purpose,
                                     func.avg(TicketService.seconds), func.count())
                              .where(TicketService.day == day)
                              .group_by(TicketService.section_code, TicketService.purpose)).all()
    totals: dict[str, tuple[float, int]] = {}
    for section, purpose, mean, count in rows:
        result.by_purpose[(section, purpose)] = (float(mean), int(count))
        seconds, n = totals.get(section, (0.0, 0))
        totals[section] = (seconds + float(mean) * count, n + int(count))
    result.by_section = {s: (total / n, n) for s, (total, n) in totals.items() if n}
    return result


def servers() -> dict[str, int]:
    """Active counters per section."""
    rows = db.session.execute(select(Counter.section_code, func.count()).where(Counter.active.is_(True))
                              .group_by(Counter.section_code)).all()
    return {section: int(n) for section, n in rows if section}


@dataclass
class Queue:
    """One section's state at ``now``: when each server frees up (seconds from now) and the tickets waiting."""

    free_in: list[float]
    waiting: list[Ticket]


def _queues(all_today: list[Ticket], now: datetime, mean: Means, counts: dict[str, int]) -> dict[str, Queue]:
    queues: dict[str, Queue] = {}
    for ticket in all_today:  # already in queue order
        if ticket.state not in ("waiting", "called"):
            continue
        queue = queues.setdefault(ticket.section_code, Queue(free_in=[], waiting=[]))
        if ticket.state == "waiting":
            queue.waiting.append(ticket)
        elif ticket.called_at is not None:
            passed = (now - ticket.called_at).total_seconds()
            remaining = mean.seconds(ticket.section_code, ticket.purpose) - passed
            queue.free_in.append(max(MIN_REMAINING, remaining))
    for section, queue in queues.items():
        size = max(1, counts.get(section, 1))
        queue.free_in = sorted(queue.free_in)[:size] + [0.0] * max(0, size - len(queue.free_in))
        heapq.heapify(queue.free_in)
    return queues


def _run(queue: Queue, mean: Means, section: str) -> dict[int, float]:
    """Seconds until each waiting ticket of ``queue`` is called; the queue's servers are left as after them."""
    waits: dict[int, float] = {}
    for ticket in queue.waiting:
        start = heapq.heappop(queue.free_in)
        waits[ticket.id] = start
        heapq.heappush(queue.free_in, start + mean.seconds(section, ticket.purpose))
    return waits


@dataclass
class Estimates:
    """Seconds still to wait per waiting ticket id, and for a ticket issued now per purpose; queue lengths."""

    ticket: dict[int, float] = field(default_factory=dict)
    new_ticket: dict[str, float] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)  # purpose → tickets waiting
    ahead: dict[int, int] = field(default_factory=dict)  # ticket id → tickets before it in its queue
    means: Means = field(default_factory=Means)


def estimate(*, now: datetime | None = None) -> Estimates:
    """Every waiting ticket's expected wait, and what a new ticket of each purpose would wait, at ``now``."""
    now = now or utcnow()
    mean, counts = means(now=now), servers()
    queues = _queues(tickets.today(now=now), now, mean, counts)
    result = Estimates(means=mean)
    for section, queue in queues.items():
        for position, ticket in enumerate(queue.waiting):
            result.ahead[ticket.id] = position
        result.ticket.update(_run(queue, mean, section))
        result.waiting.update({k: result.waiting.get(k, 0) + v
                               for k, v in Tally(t.purpose for t in queue.waiting).items()})
    for code, purpose in tickets.PURPOSES.items():
        queue = queues.get(purpose.section)
        result.new_ticket[code] = queue.free_in[0] if queue and queue.free_in else 0.0
        result.waiting.setdefault(code, 0)
    return result


def minutes(seconds: float | None) -> int | None:
    """Whole minutes as shown to residents (rounded up; at least 1 while anyone waits ahead)."""
    if seconds is None:
        return None
    return int(-(-seconds // 60))


@dataclass(frozen=True)
class PurposeLine:
    """The manager's line of one purpose: the queue, the wait of a ticket drawn now, today's measured handling."""

    code: str
    label: str
    section: str
    counters: int
    waiting: int
    minutes: int
    handling_minutes: float | None  # today's measured mean at the section (None: nothing measured yet)
    measured: int


def by_purpose(*, now: datetime | None = None) -> list[PurposeLine]:
    """One line per purpose for the manager's view (what the board shows, with the measurements behind it)."""
    result, counts = estimate(now=now), servers()
    lines = []
    for code, purpose in tickets.PURPOSES.items():
        mean, measured = result.means.by_purpose.get((purpose.section, code), (0.0, 0))
        lines.append(PurposeLine(code=code, label=purpose.label, section=purpose.section,
                                 counters=counts.get(purpose.section, 0), waiting=result.waiting.get(code, 0),
                                 minutes=minutes(result.new_ticket.get(code, 0.0)) or 0,
                                 handling_minutes=round(mean / 60, 1) if measured else None, measured=measured))
    return lines
