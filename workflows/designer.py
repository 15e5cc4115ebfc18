"""The process designer's tools: check without deploying, diff two versions, see which cases run on which
version, move a running case to the newest version, and test a decision table against sample data.

Nothing here stores a model (deployment is :func:`workflows.registry.deploy`); every function only flushes.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from core import audit, users
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.i18n import N_, Message, state_name
from workflows import decision_diff, registry, runtime, safe_xml, validation
from workflows.engine import EngineError, HumanTask
from workflows.models import Case, ModelVersion, SpecSnapshot

# Diagram-interchange namespaces: layout only, left out of the element diff.
_DI_NAMESPACES = {"http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
                  "http://www.omg.org/spec/DD/20100524/DI", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
                  "http://www.omg.org/spec/DMN/20180521/DC/", "http://www.omg.org/spec/DMN/20180521/DI/"}
_PROBE_PROCESS = "madoguchi_decision_probe"


@dataclass
class ElementChange:
    element: str
    kind: str  # added, removed, changed
    tag: str
    name: str | None = None
    before: str | None = None
    after: str | None = None


@dataclass
class VersionDiff:
    key: str
    old: ModelVersion
    new: ModelVersion
    elements: list[ElementChange] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # unified diff of the XML
    cells: list[decision_diff.CellChange] = field(default_factory=list)  # a decision table's, with old and new


@dataclass(frozen=True)
class Draft:
    """A model not deployed yet, opened in an editor (the page reads it like a stored version)."""

    key: str
    name: str
    kind: str
    file_name: str
    version: int = 0


@dataclass
class MigrationResult:
    case_id: int
    migrated: bool
    reason: str = ""
    from_version: int | None = None
    to_version: int | None = None
    changed_tasks: list[str] = field(default_factory=list)


def get_version(*, key: str, version: int) -> ModelVersion:
    """One stored version; NotFound names the key and number."""
    row = db.session.scalar(db.select(ModelVersion).where(ModelVersion.key == key, ModelVersion.version == version))
    if row is None:
        raise NotFound(N_("業務モデル {key} に第{version}版はありません", key=key, version=version),
                       details={"key": key, "version": version})
    return row


def check(*, files: list[tuple[str, bytes]], lanes: set[str], operation_names: set[str],
          form_exists: Callable[[str], bool], max_bytes: int) -> list[validation.Problem]:
    """Every problem deploying ``files`` would meet (empty = deployable); stores nothing."""
    try:
        documents = registry.parse_uploads(files, max_bytes=max_bytes)
        return registry.validate(documents, lanes=lanes, operation_names=operation_names, form_exists=form_exists)
    except Invalid as err:
        found = err.details.get("problems") or [{"file": files[0][0] if files else "", "message": err.message}]
        return [validation.Problem(file=p.get("file", ""), message=p.get("message", err.message),
                                   element=p.get("element"), line=p.get("line"), rule_id=p.get("rule_id"),
                                   column_id=p.get("column_id")) for p in found]


# -- diff ---------------------------------------------------------------------------------------------
def diff_versions(*, key: str, old: int, new: int) -> VersionDiff:
    """Element-level changes (by id, layout ignored) and a unified XML diff between two versions."""
    before, after = get_version(key=key, version=old), get_version(key=key, version=new)
    a, b = _elements(before), _elements(after)
    changes = [ElementChange(element=i, kind="removed", tag=a[i][0], name=a[i][1]) for i in a if i not in b]
    changes += [ElementChange(element=i, kind="added", tag=b[i][0], name=b[i][1]) for i in b if i not in a]
    changes += [ElementChange(element=i, kind="changed", tag=b[i][0], name=b[i][1], before=a[i][2], after=b[i][2])
                for i in a if i in b and a[i][2] != b[i][2]]
    lines = list(difflib.unified_diff(before.xml.splitlines(), after.xml.splitlines(), lineterm="",
                                      fromfile=f"{key} v{old}", tofile=f"{key} v{new}", n=2))
    cells = decision_diff.changes(_root(before), _root(after)) if after.kind == "dmn" else []
    return VersionDiff(key=key, old=before, new=after, elements=sorted(changes, key=lambda c: (c.kind, c.element)),
                       lines=lines, cells=cells)


def _root(version: ModelVersion) -> Any:
    return safe_xml.parse(version.xml.encode(), file_name=version.file_name, max_bytes=len(version.xml.encode()) + 1)


def _elements(version: ModelVersion) -> dict[str, tuple[str, str | None, str]]:
    """id -> (tag, name, canonical text of the element without its id-bearing children and layout)."""
    root = _root(version)
    found: dict[str, tuple[str, str | None, str]] = {}
    for element in root.iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace in _DI_NAMESPACES:
            continue
        element_id = element.get("id")
        if element_id:
            found[element_id] = (etree.QName(element).localname, element.get("name"), _own_text(element))
    return found


def _own_text(element: Any) -> str:
    copy = deepcopy(element)
    for child in list(copy.iter()):
        if child is not copy and isinstance(child.tag, str) and (child.get("id") or etree.QName(child).namespace
                                                                 in _DI_NAMESPACES):
            parent = child.getparent()
            if parent is not None:
                parent.remove(child)
    for node in copy.iter():
        if isinstance(node.tag, str) and node.text is not None and not node.text.strip():
            node.text = None
        node.tail = None
    return etree.tostring(copy, encoding="unicode")


# -- cases per version --------------------------------------------------------------------------------
def cases_by_version(*, key: str) -> dict[int, Counter[str]]:
    """For each version of ``key`` that cases run on: how many cases are in each state."""
    rows = db.session.execute(db.select(SpecSnapshot.library, Case.state, db.func.count(Case.id))
                              .join(Case, Case.snapshot_id == SpecSnapshot.id)
                              .group_by(SpecSnapshot.id, SpecSnapshot.library, Case.state))
    usage: dict[int, Counter[str]] = {}
    for library, state, count in rows:
        version = json.loads(library).get(key)
        if version is not None:
            usage.setdefault(int(version), Counter())[state] += count
    return dict(sorted(usage.items()))


def running_cases(*, key: str, limit: int = 200) -> list[tuple[Case, int]]:
    """Running cases of process ``key`` with the version each runs on, newest first."""
    cases = db.session.scalars(db.select(Case).where(Case.process_key == key, Case.state == "running")
                               .order_by(Case.id.desc()).limit(limit))
    return [(c, json.loads(c.snapshot.library).get(key, 0)) for c in cases]


# -- migration ----------------------------------------------------------------------------------------
def migrate_case(*, case_id: int, actor: Actor, now: datetime | None = None) -> MigrationResult:
    """Move a running case to the snapshot new cases start on; a refusal is logged and returned, not raised."""
    if not actor.has_role("admin"):
        raise Forbidden(N_("進行中の案件の移行は管理者のみ行えます"))
    case = runtime.get_case(case_id)
    if case.state != "running":
        raise Conflict(N_("受付番号 {case} は{state}のため移行できません（処理中の案件だけ移行できます）", case=case.id,
                          state=state_name(case.state)),
                       details={"state": case.state})
    eng = runtime.engine()
    target = registry.current_snapshot(case.process_key, engine=eng)
    old_version = json.loads(case.snapshot.library).get(case.process_key)
    result = MigrationResult(case_id=case.id, migrated=False, from_version=old_version,
                             to_version=json.loads(target.library).get(case.process_key))
    if target.id == case.snapshot_id:
        raise Conflict(N_("受付番号 {case} は既に最新版で動いています", case=case.id), details={"version": old_version})
    workflow = runtime.load_workflow(case)
    try:
        result.changed_tasks = eng.migrate(workflow, registry.specs_for(target, engine=eng))
    except EngineError as err:
        result.reason = str(err)
        audit.record(actor=actor, action="case.migrate", target_type="case", target_id=case.id, outcome="refused",
                     details={"from": old_version, "to": result.to_version, "reason": result.reason})
        db.session.flush()
        return result
    case.snapshot_id, case.snapshot, case.spec_hash = target.id, target, target.spec_hash
    runtime.save_workflow(case, workflow, now=now or utcnow())
    _refresh_ready_tasks(case, eng.human_tasks(workflow))
    db.session.flush()
    result.migrated = True
    audit.record(actor=actor, action="case.migrate", target_type="case", target_id=case.id,
                 details={"from": old_version, "to": result.to_version, "changed": result.changed_tasks})
    return result


def _refresh_ready_tasks(case: Case, ready: list[HumanTask]) -> None:
    """A task that stayed READY through the migration takes its new title, lane (so section) and form."""
    lanes = users.section_by_lane()
    by_uuid = {h.uuid: h for h in ready}
    for task in case.tasks:
        human = by_uuid.get(task.task_uuid)
        if task.state == "ready" and human is not None:
            section = lanes.get(human.lane or "")
            task.title, task.lane, task.form_key = human.title, human.lane, human.form_key
            task.section_code = section.code if section else None


# -- decision test run --------------------------------------------------------------------------------
def decision_inputs(xml: str) -> tuple[list[str], list[str]]:
    """The input expressions and output names of a decision table."""
    root = safe_xml.parse(xml.encode(), file_name="decision.dmn", max_bytes=len(xml.encode()) + 1)
    inputs = [e.text.strip() for e in root.iter() if isinstance(e.tag, str)
              and etree.QName(e).localname == "text" and etree.QName(e.getparent()).localname == "inputExpression"
              and e.text]
    outputs = [e.get("name") for e in root.iter() if isinstance(e.tag, str)
               and etree.QName(e).localname == "output" and e.get("name")]
    return inputs, outputs


def evaluate_decision(*, xml: str, data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """Run the decision in ``xml`` on ``data`` through the case engine; Invalid explains, in Japanese, why it
    cannot decide (a bad cell, with its rule and column; an input the sample lacks; a value it cannot compare)."""
    if not isinstance(data, dict):
        raise Invalid(N_("入力データは JSON のオブジェクトで書いてください（例: {\"age\": 20}）。"),
                      details={"data": "object expected"})
    dmn = validation.classify("decision.dmn", xml.encode(), safe_xml.parse(xml.encode(), file_name="decision.dmn",
                                                                           max_bytes=1_000_000))
    if dmn.kind != "dmn":
        raise Invalid(N_("判定表（DMN）ではありません。判定表の編集画面から試算してください。"),
                      details={"xml": "a DMN document is expected"})
    problems = validation.check_decision(dmn)
    if problems:
        raise Invalid(N_("判定表に読めないセルがあります: {problem}", problem=problems[0].message),
                      details={"problems": [p.as_dict() for p in problems]})
    probe = _probe_bpmn(dmn.keys[0]).encode()
    probe_doc = validation.classify("probe.bpmn", probe, safe_xml.parse(probe, file_name="probe.bpmn",
                                                                        max_bytes=len(probe) + 1))
    parser = validation.build_parser([dmn, probe_doc])
    specs = (parser.get_spec(_PROBE_PROCESS), parser.get_subprocess_specs(_PROBE_PROCESS))
    inputs, outputs = decision_inputs(xml)
    try:
        workflow = runtime.engine().start(specs, data)
    except EngineError as err:
        raise Invalid(_why_undecided(err, inputs), details={"decision": dmn.keys[0], "engine": str(err)}) from err
    result = runtime.engine().data(workflow)
    audit.record(actor=actor, action="model.test_decision", target_type="model", target_id=dmn.keys[0])
    return {name: result.get(name) for name in outputs} if outputs else result


def _why_undecided(err: BaseException, inputs: list[str]) -> Message:
    """What the designer can do about an engine error while deciding: name the input, the rule, the fix."""
    text = str(err)
    row = re.search(r"row (\d+)", text)
    where = N_("規則 {row} を判定中に", row=row.group(1)) if row else N_("判定中に")
    causes = list(_causes(err))
    missing = next((c.name for c in causes if isinstance(c, NameError) and getattr(c, "name", None)), None)
    expression = re.search(r"Error evaluating expression '([^']*)'", text)
    if missing is None and expression and expression.group(1) in inputs:
        missing = expression.group(1)
    if missing:
        return N_("{where}入力「{missing}」がありません。入力データに \"{missing}\": 値 を加えてください"
                  "（この判定表の入力: {inputs}）。", where=where, missing=missing, inputs=", ".join(inputs))
    if any(isinstance(c, TypeError) for c in causes):
        return N_("{where}値を比べられませんでした（null や、数値と文字列の比較など）。入力データの値の型を"
                  "確かめてください（数値は 75、文字列は \"tennyu\"、真偽は true）。", where=where)
    return N_("{where}判定表の式を実行できませんでした。セルの書き方を確かめてください（{error}）。",
              where=where, error=text)


def _causes(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = getattr(cause, "exception", None) or cause.__cause__ or cause.__context__


# -- a new procedure table --------------------------------------------------------------------------------
_DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
PROCEDURE_KEY = re.compile(r"^proc_[a-z][a-z0-9_]{0,40}$")
PROCEDURE_SAMPLE = {"event": "tennyu", "is_subject": True, "age_calendar": 40}
_INPUTS = [("event", "届出事由", "string"), ("is_subject", "届出の対象者", "boolean"),
           ("age_calendar", "年齢（誕生日到達）", "integer")]
_OUTPUTS = [("code", "手続コード", "string"), ("name", "手続名", "string"), ("section", "担当課", "string"),
            ("forms", "様式", "string"), ("deadline_days", "期限（日）", "integer"), ("bring", "持ち物", "string")]


def new_decision_key(key: str) -> str:
    """The key of a new procedure table: ``proc_`` and the business (determination reads every ``proc_*``)."""
    key = key.strip()
    if not key.startswith("proc_"):
        key = "proc_" + key
    if not PROCEDURE_KEY.match(key):
        raise Invalid(N_("判定表のキー「{key}」は使えません。proc_ に続けて英小文字・数字・_ で書いてください"
                         "（例: proc_kouki）。", key=key), details={"key": key})
    if db.session.scalar(db.select(ModelVersion.id).where(ModelVersion.key == key).limit(1)) is not None:
        raise Conflict(N_("判定表「{key}」はもうあります。一覧の「編集・試算」から開いてください。", key=key),
                       details={"key": key})
    return key


def procedure_table(*, key: str, name: str) -> str:
    """A new procedure table with the columns every ``proc_*`` table has (COLLECT) and one example rule."""
    inputs = "".join(f'<input id="{key}_in_{n}" label="{label}"><inputExpression id="{key}_ie_{n}" '
                     f'typeRef="{t}"><text>{n}</text></inputExpression></input>' for n, label, t in _INPUTS)
    outputs = "".join(f'<output id="{key}_out_{n}" label="{label}" name="{n}" typeRef="{t}"/>'
                      for n, label, t in _OUTPUTS)
    literal = name.replace('"', "").replace("\\", "")
    example = ['"tennyu"', "true", "-", f'"{key[5:]}.apply"', f'"{literal}"', '"shimin"', '""', "14", '""']
    cells = "".join(f'<{"input" if i < len(_INPUTS) else "output"}Entry id="r1_c{i}"><text>{escape(c)}</text>'
                    f'</{"input" if i < len(_INPUTS) else "output"}Entry>' for i, c in enumerate(example))
    title = escape(name, {'"': "&quot;"})
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{_DMN13}" id="Definitions_{key}" '
            f'name="{title}" namespace="https://madoguchi.example/dmn">'
            f'<decision id="{key}" name="{title}"><decisionTable id="{key}_table" hitPolicy="COLLECT">'
            f'{inputs}{outputs}<rule id="r1"><description>転入: 対象者</description>{cells}</rule>'
            f"</decisionTable></decision></definitions>\n")


def _probe_bpmn(decision_id: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="probe" targetNamespace="urn:madoguchi">
  <bpmn:process id="{_PROBE_PROCESS}" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="d"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{escape(decision_id)}</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming>
    <bpmn:outgoing>b</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="d"/><bpmn:sequenceFlow id="b" sourceRef="d" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""
