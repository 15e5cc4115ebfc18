"""Counter intake (総合窓口): find the resident, read the household, start the journey with what the DB knows.

The counter never retypes what the resident DB holds: :func:`start_visit` starts the journey with the household's
facts from the DB, the members ticked as concerned, the 届出人 and (when known) the event date. Every look at a
resident is logged.
A resident under 支援措置 (``support_measure``) never has an address shown or copied into a case by these
functions: screens show :func:`residents.protection.shown_address`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, Invalid, NotFound
from core.i18n import N_
from forms import taskforms
from residents import protection, search
from residents.models import Resident
from workflows import runtime
from workflows.determination import household as residents
from workflows.models import Case
from workflows.visit import eventdate
from workflows.visit import notifier as notifier_rules

COUNTER_ROLES = ("counter",)
JOURNEY_PREFIX = "journey_"
# Life events (DOMAIN.md codes) → the journey that handles them; only deployed journeys are offered.
EVENTS = {"tennyu": "転入", "tenshutsu": "転出", "tenkyo": "転居", "setai_henko": "世帯変更", "shussei": "出生",
          "shibo": "死亡", "konin": "婚姻", "rikon": "離婚", "shomei": "証明書交付"}


@dataclass(frozen=True)
class HouseholdView:
    """A resident with the members of their household (the resident first)."""

    resident: Resident
    members: list[Resident]
    protected: bool  # someone in the household is under 支援措置


def find_residents(*, actor: Actor, q: str = "", birth_date: date | None = None, address: str = "",
                   limit: int = 50) -> list[Resident]:
    """Residents matching a name (kanji or kana), a 住民票コード/世帯番号 scan, a birth date and/or an address."""
    _check_counter(actor)
    q, address = q.strip(), address.strip()
    if not (q or birth_date or address):
        raise Invalid(N_("氏名・生年月日・住所のいずれかを入力してください"), details={"q": "required"})
    found = _query(q=q, birth_date=birth_date, address=address, limit=limit)
    audit.record(actor=actor, action="resident.search", target_type="resident",
                 details={"q": q, "birth_date": birth_date.isoformat() if birth_date else None,
                          "address": address, "hits": len(found)})
    protection.note_access(actor=actor, residents=found, action="search_hit", screen="counter.search")
    return found


def _query(*, q: str, birth_date: date | None, address: str, limit: int) -> list[Resident]:
    if q.isdigit():  # a barcode reader types the 住民票コード or 世帯番号 and Enter
        stmt = select(Resident).where(or_(Resident.jumin_code == q, Resident.setai_no == q))
        return list(db.session.scalars(stmt.limit(limit)))
    return search.search_residents(q=q or None, birth_date=birth_date, address=address or None, limit=limit)


def get_household(*, resident_id: int, actor: Actor) -> HouseholdView:
    """The resident and their household; the view is logged (and flagged when a member is protected)."""
    _check_counter(actor)
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        raise NotFound(N_("住民 {resident} は見つかりません", resident=resident_id),
                       details={"resident_id": resident_id})
    others = [m for m in (resident.household.members if resident.household else []) if m.id != resident.id]
    members = [resident, *others]
    protected = any(m.support_measure for m in members)
    audit.record(actor=actor, action="resident.view", target_type="resident", target_id=resident.id,
                 details={"household": resident.setai_no, "members": len(members), "support_measure": protected})
    protection.note_access(actor=actor, residents=members, action="view", screen="counter.household")
    return HouseholdView(resident=resident, members=members, protected=protected)


def is_child(member: Resident, on: date) -> bool:
    """A child for 児童手当: up to the 31 March after the 18th birthday."""
    born = member.birth_date
    if born is None:
        return False
    limit_year = born.year + 18 + (0 if (born.month, born.day) <= (3, 31) else 1)
    return on <= date(limit_year, 3, 31)


def head_of(view: HouseholdView) -> int | None:
    """The 世帯主 of the household, if the register names one."""
    return next((m.id for m in view.members if m.relation == "世帯主"), None)


def default_notifier(view: HouseholdView, today: date) -> int:
    """Whom the household page proposes as 届出人: the resident, or the 世帯主 for a resident under 15."""
    return notifier_rules.default_member(resident_id=view.resident.id, members={m.id: m for m in view.members},
                                         head_id=head_of(view), on=today)


def journey_for(events: list[str]) -> str:
    """The journey that handles a visit: a visit with a certificate request runs the 証明書交付 journey, whose
    支援措置 check stops a third party's request for the supervisor; otherwise the first event's journey."""
    return f"{JOURNEY_PREFIX}shomei" if "shomei" in events else f"{JOURNEY_PREFIX}{events[0]}" if events else ""


def start_visit(*, process_key: str, resident_id: int, events: list[str], actor: Actor, today: date,
                subjects: list[int] | None = None, notifier: dict[str, Any] | None = None,
                event_date: str | date | None = None, title: str | None = None,
                ticket_no: str | None = None, prefill: dict[str, Any] | None = None) -> Case:
    """Start ``process_key`` for the resident's household: what the DB knows goes in, nothing is retyped.

    ``subjects``: the members the events are about, as ticked (default the resident); only they get
    procedures and forms. ``notifier``: the 届出人 (a member's ``resident_id``, or name, kana, address,
    relation, phone as entered; default the resident). ``prefill``: answers the interview starts from (a
    pre-entry's), under the interview's field names, never over the visit's own data. ``event_date`` (as typed,
    see ``core.dates``) may be given now or asked by the interview; an implausible one is refused with the
    reason. The journey's determination reads the household's facts from the DB with the subjects marked."""
    unknown = [e for e in events if e not in EVENTS]
    if not events or unknown:
        why = f"不明なライフイベントです：{'、'.join(unknown)}" if unknown else "選択してください"
        raise Invalid(N_("ライフイベントを選択してください"), details={"fields": {"events": [why]}})
    if "shomei" in events and process_key.startswith("journey_") and process_key != journey_for(events):
        raise Invalid(N_("証明書の請求を含む受付は証明書交付（journey_shomei）で開始してください"
                         "（支援措置の確認のため）"),
                      details={"fields": {"process_key": [journey_for(events)]}})
    view = get_household(resident_id=resident_id, actor=actor)
    member_ids = {m.id for m in view.members}
    chosen = list(dict.fromkeys(subjects or [resident_id]))
    if not set(chosen) <= member_ids:
        raise Invalid(N_("対象者は世帯の中から選んでください"), details={"fields": {"subjects": sorted(chosen)}})
    household = [{**facts, "subject": facts["resident_id"] in chosen} for facts in residents.household_for(resident_id)]
    data: dict[str, Any] = {
        "events": events, "support_measure": view.protected, "household": household,
        "member_ids": [m.id for m in view.members], "subject_ids": chosen,
        "notifier": notifier_rules.from_input(notifier, resident_id=resident_id, head_id=head_of(view),
                                              members={m.id: m for m in view.members}, on=today)}
    if ticket_no:
        data["ticket_no"] = str(ticket_no)[:20]
    for key, value in (prefill or {}).items():
        data.setdefault(key, value)
    if event_date not in (None, ""):
        day = eventdate.parse(event_date)
        eventdate.check(day=day, events=events, subjects=[h for h in household if h["subject"]], today=today)
        data["event_date"] = day.isoformat()
    names = "・".join(EVENTS[e] for e in events)
    case = runtime.start_case(process_key=process_key, actor=actor, resident_id=resident_id, data=data,
                              title=(title or f"{names} {view.resident.name} 様")[:200])
    case.awaiting_hand_over = case.state == "running"  # the sections wait for the counter's hand-over
    return case


def start(*, process_key: str, actor: Actor, today: date, resident_id: int | None = None,
          members: list[int] | None = None, events: list[str] | None = None, notifier: dict[str, Any] | None = None,
          event_date: str | None = None, ticket_no: str | None = None, data: dict[str, Any] | None = None,
          title: str | None = None) -> Case:
    """Start a case as a client asks (the API): a visit — a ``journey_<event>`` process, or any process given
    ``events`` — from the ticked ``members``, the ``notifier`` and the ``event_date``, exactly as the counter
    page starts it; or a plain process with ``data`` validated by its start form (the start event's ``form``).
    Anything else is refused with the key named: no client sets the journey's control data."""
    given = data or {}
    if process_key.startswith(JOURNEY_PREFIX) or events is not None:
        if given:
            raise Invalid(N_("受付は members・events・notifier・event_date で開始します（data は使えません）"),
                          details={"fields": {f"data.{k}": ["不明な項目です"] for k in sorted(given)}})
        if resident_id is None:
            raise Invalid(N_("受付する住民を指定してください"), details={"fields": {"resident_id": ["必須です"]}})
        case = start_visit(process_key=process_key, resident_id=resident_id, actor=actor, today=today,
                           events=events or [process_key.removeprefix(JOURNEY_PREFIX)], subjects=members,
                           notifier={k: v for k, v in (notifier or {}).items() if v is not None} or None,
                           event_date=event_date, title=title, ticket_no=ticket_no)
        return case
    return runtime.start_case(process_key=process_key, actor=actor, resident_id=resident_id, title=title,
                              data=_start_data(process_key, given))


def _start_data(process_key: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the process's start form takes it; Invalid for a key it does not declare."""
    form_key = runtime.start_form(process_key)
    names = {f.name for f in taskforms.get(form_key).fields} if form_key else set()
    unknown = sorted(set(data) - names)
    if unknown:
        raise Invalid(N_("開始データに不明な項目があります"),
                      details={"fields": {f"data.{k}": ["不明な項目です"] for k in unknown}})
    return taskforms.validate_data(form_key, data) if form_key else {}


def _check_counter(actor: Actor) -> None:
    if not actor.has_role(*COUNTER_ROLES):
        raise Forbidden(N_("窓口で住民を検索できるのは総合窓口の職員だけです"))
