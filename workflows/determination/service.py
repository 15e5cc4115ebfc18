"""手続判定: evaluate every deployed procedure table (decisions named ``proc_*``) for each household member.

Each table is one business; each fired rule yields a procedure with its code, name, section, forms, deadline
(days from the event date, moved past closed days), what to bring and the rule that fired with its annotation
(the rule's ``description``: the readable reason). A procedure fired for several members is one procedure with
several subjects, each naming the rule that fired for them. Tables are read from the deployed library (translated
from FEEL like every DMN, see :mod:`.feel`), so adding a business is deploying a ``proc_*.dmn`` file.

Answers: household-level ``answers`` apply to every member; ``member_answers`` (``{resident id: {...}}``) to one
member only (e.g. 印鑑登録を希望する is ticked per person). With ``strict`` (the interview's probe) a table that
reads an answer nobody gave names it (Invalid); without (a running case) an answer nobody gave is a "no".
"""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from core.errors import Invalid
from core.i18n import N_
from workflows import operations, registry, runtime, safe_xml, validation
from workflows.determination import facts

TABLE_PREFIX = "proc_"
EVENTS = ("tennyu", "tenshutsu", "tenkyo", "setai_henko", "shussei", "shibo", "konin", "rikon", "shomei")
_lock = threading.Lock()
_tables: dict[tuple[tuple[str, str], ...], list[tuple[str, int, Any]]] = {}


def procedure_tables() -> list[tuple[str, int, Any]]:
    """(decision id, version, decision table) of every deployed ``proc_*`` decision, parsed once per content."""
    versions = [v for v in registry.latest_versions() if v.kind == "dmn" and v.key.startswith(TABLE_PREFIX)]
    memo = tuple((v.key, v.content_hash) for v in versions)
    with _lock:
        if memo in _tables:
            return _tables[memo]
    docs = [validation.classify(v.file_name, v.xml.encode(), safe_xml.parse(v.xml.encode(), file_name=v.file_name,
                                                                            max_bytes=len(v.xml.encode()) + 1))
            for v in versions]
    parser = validation.build_parser(docs)
    tables = []
    for v in versions:
        dmn_parser = parser.dmn_parsers[v.key]
        dmn_parser.parse()
        tables.append((v.key, v.version, dmn_parser.decision.decisionTables[0]))
    with _lock:
        _tables.clear()
        _tables[memo] = tables
    return tables


def _fired(table: Any, decision_id: str, context: dict[str, Any], script_engine: Any) -> list[dict[str, Any]]:
    """The outputs of every rule of ``table`` matching ``context``; Invalid naming a missing input."""
    task = SimpleNamespace(data=context, workflow=SimpleNamespace(script_engine=script_engine),
                           task_spec=SimpleNamespace(name=decision_id, bpmn_id=decision_id, bpmn_name=decision_id))
    engine = DMNEngine(table)
    try:
        return [{**rule.output_as_dict(task), "rule": f"{decision_id}#{rule.id}",
                 "rule_text": (rule.description or "").strip()} for rule in engine.decide(task)]
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow wraps the real cause; name it or report it
        missing = _missing_name(err)
        if missing:
            raise Invalid(N_("判定表 {decision}: この世帯には回答「{answer}」が必要です",
                             decision=decision_id, answer=missing),
                          details={"answers": {missing: "required"}, "decision": decision_id}) from err
        raise Invalid(N_("判定表 {decision} で判定できません: {error}", decision=decision_id, error=str(err)),
                      details={"decision": decision_id}) from err


def _missing_name(err: BaseException) -> str | None:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, NameError) and getattr(cause, "name", None):
            return str(cause.name)
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__
    return None


def event_list(event: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """One event or a combined visit's events as a list in order, without duplicates."""
    given = [event] if isinstance(event, str) else list(event or [])
    return list(dict.fromkeys(str(e) for e in given))


def due_date(event_date: date, days: int) -> date | None:
    """``days`` after the event, moved past closed days; None when the procedure has no deadline."""
    if not days:
        return None
    return date.fromisoformat(operations.deadline(start=event_date.isoformat(), days=int(days)))


def answer_inputs() -> set[str]:
    """The names the deployed tables read that no member context provides: the interview's answers."""
    names = {str(i.expression).strip() for _d, _v, table in procedure_tables() for i in table.inputs}
    return {n for n in names if n.isidentifier()} - facts.CONTEXT_NAMES


def determine(*, events: list[str], event_date: date, household: list[dict[str, Any]],
              answers: dict[str, Any] | None = None, member_answers: dict[str, dict[str, Any]] | None = None,
              strict: bool = True) -> list[dict[str, Any]]:
    """The procedures the visit triggers, in table and rule order, each with its subjects (member indexes)."""
    unknown = [e for e in events if e not in EVENTS]
    if not events or unknown:
        raise Invalid(N_("ライフイベント「{event}」はありません", event="、".join(map(str, unknown or events)) or "-"),
                      details={"event": f"one of {', '.join(EVENTS)}"})
    members = [facts.normalise_member(m, i) for i, m in enumerate(household)]
    if not members:
        raise Invalid(N_("世帯に世帯員がいません"), details={"household": "at least one member"})
    script_engine = runtime.engine().script_engine
    base = {} if strict else dict.fromkeys(answer_inputs(), False)
    base.update(answers or {})
    own = {str(k): v for k, v in (member_answers or {}).items() if isinstance(v, dict)}
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        contexts = facts.household_context(members, event=event, on=event_date)
        for decision_id, _version, table in procedure_tables():
            for index, context in enumerate(contexts):
                mine = own.get(str(members[index].get("resident_id")), {})
                for out in _fired(table, decision_id, {**base, **mine, **context}, script_engine):
                    _merge(found, out, index, members[index], event_date)
    return list(found.values())


def _merge(found: dict[str, dict[str, Any]], out: dict[str, Any], index: int, member: dict[str, Any],
           event_date: date) -> None:
    code = str(out["code"])
    subject = {"index": index, "name": member.get("name"), "resident_id": member.get("resident_id"),
               "rule": out["rule"], "reason": out.get("rule_text") or ""}
    if code in found:
        known = found[code]
        if not any(s["index"] == index for s in known["subjects"]):
            known["subjects"].append(subject)
        if subject["reason"] and subject["reason"] not in known["rule_text"].split("／"):
            known["rule_text"] = "／".join(t for t in (known["rule_text"], subject["reason"]) if t)
        return
    due = due_date(event_date, int(out.get("deadline_days") or 0))
    found[code] = {"code": code, "name": out["name"], "section": out["section"],
                   "forms": [f.strip() for f in str(out.get("forms") or "").split(",") if f.strip()],
                   "due_date": due.isoformat() if due else None, "bring": out.get("bring") or "",
                   "rule": out["rule"], "rule_text": out.get("rule_text") or "", "subjects": [subject]}


def catalogue() -> dict[str, dict[str, Any]]:
    """Every procedure a deployed table can yield, by code (for manual additions): name, section, forms, days."""
    known: dict[str, dict[str, Any]] = {}
    for decision_id, _version, table in procedure_tables():
        for rule in table.rules:
            out = {e.output.name: e.text for e in rule.outputEntries}
            code = str(out.get("code", "")).strip('"')
            known.setdefault(code, {"code": code, "name": str(out.get("name", "")).strip('"'),
                                    "section": str(out.get("section", "")).strip('"'),
                                    "forms": [str(out.get("forms", "")).strip('"')],
                                    "deadline_days": int(out.get("deadline_days") or 0),
                                    "bring": str(out.get("bring", "")).strip('"'), "rule": f"{decision_id}#{rule.id}",
                                    "rule_text": (rule.description or "").strip()})
    return known
