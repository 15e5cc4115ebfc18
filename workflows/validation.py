"""Checks a set of BPMN/DMN documents before deployment and says where each problem is.

SpiffWorkflow validates against the BPMN XSD and builds the specs; on top of that Madoguchi
refuses what would fail at the counter: lanes that route to no section, forms and operations that do not exist,
due dates that are not ISO 8601, scripts the sandbox would refuse, decision table cells that cannot be read
(:mod:`workflows.decision_cells`). A user task may leave out its form and lane, as in SpiffArena: it then gets
the default confirmation form and goes to the default lane (:func:`workflows.registry.with_defaults`).
Every message says, in Japanese, what is wrong and how to fix it (:mod:`workflows.refusals`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from core.errors import Invalid
from core.i18n import N_, Message
from workflows import decision_cells, refusals
from workflows.determination import feel
from workflows.scripting import check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = {"https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20230324/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd"}


@dataclass
class Problem:
    """One reason a model cannot be deployed: where (file, element, line; for a decision table cell also the rule
    and column ids, so the editor can mark the cell) and what to do (the message ends with how to fix it)."""

    file: str
    message: str
    element: str | None = None
    line: int | None = None
    rule_id: str | None = None
    column_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Document:
    """A parsed upload: its file name, raw bytes, root element and what it declares."""

    file_name: str
    content: bytes
    root: Any
    kind: str  # "bpmn" or "dmn"
    keys: list[str] = field(default_factory=list)  # executable process ids, or decision ids
    names: dict[str, str] = field(default_factory=dict)


def classify(file_name: str, content: bytes, root: Any) -> Document:
    """Tell BPMN from DMN by namespace and list the keys the document would deploy."""
    ns = etree.QName(root).namespace
    if ns == BPMN_NS:
        processes = root.findall(f"{{{BPMN_NS}}}process")
        keys = [p.get("id") for p in processes if p.get("isExecutable", "true") == "true"]
        names = {p.get("id"): p.get("name") or p.get("id") for p in processes}
        if not keys:
            message = N_("実行できるプロセスがありません（isExecutable=\"false\"）。窓口で動かすプロセスに "
                         "isExecutable=\"true\" を付けてください（no executable process）。")
            raise Invalid(N_("{file}: {message}", file=file_name, message=message),
                          details={"problems": [{"file": file_name, "message": message}]})
        return Document(file_name, content, root, "bpmn", keys, names)
    if ns in DMN_NAMESPACES:
        decisions = [d for d in root if etree.QName(d).localname == "decision"]
        if len(decisions) != 1:
            message = N_("DMN ファイルには判定（decision）をちょうど 1 つ入れてください（今は {count} 個）。"
                         "判定ごとにファイルを分けてください（one decision per DMN file）。", count=len(decisions))
            raise Invalid(N_("{file}: {message}", file=file_name, message=message),
                          details={"problems": [{"file": file_name, "message": message}]})
        key = decisions[0].get("id")
        return Document(file_name, content, root, "dmn", [key], {key: decisions[0].get("name") or key})
    message = N_("BPMN でも DMN でもありません（名前空間 {namespace}）。BPMN 2.0 か DMN 1.3 のファイルを選んでください"
                 "（not a BPMN or DMN document）。", namespace=repr(ns))
    raise Invalid(N_("{file}: {message}", file=file_name, message=message),
                  details={"problems": [{"file": file_name, "message": message}]})


def build_parser(documents: Iterable[Document]) -> SpiffBpmnParser:
    """A SpiffWorkflow parser holding ``documents`` (XSD-validated); Invalid on the first schema error."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for doc in documents:
        try:
            if doc.kind == "bpmn":
                parser.add_bpmn_xml(doc.root, filename=doc.file_name)
            else:
                parser.add_dmn_xml(_translated_dmn(doc), filename=doc.file_name)
        except (ValidationException, SpiffWorkflowException) as err:
            raise Invalid(_message(err, doc.file_name), details={"problems": [_problem(err, doc.file_name)]}) from err
    return parser


_SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}  # each gets a parser of its own, by id


def _scope_ids(doc: Document) -> set[str]:
    return {e.get("id") for e in doc.root.iter() if isinstance(e.tag, str) and etree.QName(e).namespace == BPMN_NS
            and etree.QName(e).localname in _SCOPES and e.get("id")} if doc.kind == "bpmn" else set()


def id_collisions(uploads: list[Document], library: list[Document]) -> list[Problem]:
    """A process or sub-process id of an upload that a deployed file also uses: SpiffWorkflow would refuse one of
    the two whenever both are built, so the upload would break cases of the other process later."""
    problems = []
    for doc in uploads:
        for other in library:
            for same in sorted(_scope_ids(doc) & _scope_ids(other)):
                problems.append(Problem(doc.file_name, f"プロセス／サブプロセスの ID「{same}」は、デプロイ済みの "
                                        f"{other.file_name}（{', '.join(other.keys)}）でも使われています。"
                                        "この図の ID を別の名前に変えてください。", element=same))
    return problems


def _translated_dmn(doc: Document) -> Any:
    """A copy of the DMN tree with FEEL input cells translated (the stored XML keeps what the designer wrote)."""
    root = deepcopy(doc.root)
    if feel.translate_dmn(root):
        problems = check_decision(doc) or [Problem(doc.file_name, "判定表の条件が読めません。FEEL で書いてください。")]
        raise Invalid(N_("{file}: {message}", file=doc.file_name, message=problems[0].message),
                      details={"problems": [p.as_dict() for p in problems]})
    return root


def check_decision(doc: Document, form_exists: Callable[[str], bool] | None = None) -> list[Problem]:
    """Every cell of the decision table that cannot be read (or names a form that does not exist), each with its
    decision, rule and column."""
    return [Problem(doc.file_name, c.message, element=c.cell_id, rule_id=c.rule_id, column_id=c.column_id)
            for c in decision_cells.check(doc.root, form_exists)]


def _problem(err: Exception, file_name: str) -> dict[str, Any]:
    line = getattr(err, "line_number", None) or getattr(err, "sourceline", None)
    return Problem(file=getattr(err, "file_name", None) or file_name,
                   message=refusals.explain(str(err).splitlines()[0] if str(err) else type(err).__name__),
                   element=getattr(err, "id", None) or None,
                   line=int(line) if str(line or "").isdigit() else None).as_dict()


def _message(err: Exception, file_name: str) -> Message:
    p = _problem(err, file_name)
    if "line" in p:
        where = N_("{file}: {line}行目", file=p["file"], line=p["line"])
    else:
        where = p["file"]
    if "element" in p:
        return N_("{where}: {message}（要素 {element}）", where=where, message=p["message"], element=p["element"])
    return N_("{where}: {message}", where=where, message=p["message"])


@dataclass(frozen=True)
class Rules:
    """What a deployment checks a process against: this city's section lanes, the installed operations, the defined
    forms, and where a user task without a lane or form goes (the default lane, the default confirmation form)."""

    lanes: set[str]
    operation_names: set[str]
    form_exists: Callable[[str], bool]
    default_lane: str | None = None


def check_process(parser: SpiffBpmnParser, key: str, rules: Rules) -> tuple[Any, dict[str, Any], list[Problem]]:
    """Build process ``key`` with everything it calls and list what Madoguchi cannot run."""
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except (ValidationException, SpiffWorkflowException) as err:
        p = _problem(err, "")
        return None, {}, [Problem(file=p.get("file", ""), message=p["message"], element=p.get("element"),
                                  line=p.get("line"))]
    file_name = parser.get_process_parser(key).filename or ""
    problems: list[Problem] = []
    for task_spec in [*spec.task_specs.values(), *(t for s in subprocess_specs.values()
                                                   for t in s.task_specs.values())]:
        problems.extend(_check_task(task_spec, file_name, rules))
    return spec, subprocess_specs, problems


def _check_task(task_spec: Any, file_name: str, rules: Rules) -> list[Problem]:
    problems: list[Problem] = []
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name

    def add(message: str) -> None:
        problems.append(Problem(file=file_name, message=message, element=element))

    lane = getattr(task_spec, "lane", None)
    if lane is not None and lane not in rules.lanes:
        add(f"レーン '{lane}' は課のレーンではありません（登録済み: {', '.join(sorted(rules.lanes))}）。"
            f"レーン名を課の名前にしてください（lane {lane!r} is not a configured section lane）。")
    if getattr(task_spec, "manual", False):
        _check_human_task(add, task_spec, rules)
    if isinstance(task_spec, ServiceTask):
        if task_spec.operation_name not in rules.operation_names:
            add(f"サービス操作 '{task_spec.operation_name}' はありません（使えるもの: "
                f"{', '.join(sorted(rules.operation_names))}）。プロパティの「サービス操作」で選んでください"
                f"（undefined operation {task_spec.operation_name!r}）。")
        for name, param in task_spec.operation_params.items():
            _check_code(add, f"引数 {name}", param.get("value", ""), "eval")
    scripts = {"スクリプト": getattr(task_spec, "script", None)} if isinstance(task_spec, ScriptEngineTask) else {}
    scripts.update({"事前スクリプト": getattr(task_spec, "prescript", None),
                    "事後スクリプト": getattr(task_spec, "postscript", None)})
    for what, script in scripts.items():
        if script:
            _check_code(add, what, script, "exec")
    for condition in _conditions(task_spec):
        _check_code(add, "条件式", condition, "eval")
    return problems


def _check_human_task(add: Callable[[str], None], task_spec: Any, rules: Rules) -> None:
    """A user task may leave out its form (the default confirmation form is used) and, where the city has a
    default lane, its lane (the task goes to that section, 総合窓口); what it names must exist."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    form = properties.get("form")
    if form and not rules.form_exists(form):
        add(f"様式 '{form}' はありません。プロパティの「様式」で選ぶか、業務設計の「様式」で作成してください"
            f"（form {form!r}, which is not defined）。")
    if getattr(task_spec, "lane", None) is None and rules.default_lane is None:
        add("ユーザータスクがどのレーンにも入っていません。課のレーンに入れてください（user task is not in a lane）。")
    due = properties.get("due")
    if due:
        try:
            TimerEventDefinition.parse_iso_duration(due)
        except Exception:  # noqa: BLE001 - SpiffWorkflow raises several kinds for a malformed duration
            add(f"期限 '{due}' は ISO 8601 の期間ではありません。PT1H（1時間）や P14D（14日）の形で書いてください。")


def _conditions(task_spec: Any) -> list[str]:
    cond_map = getattr(task_spec, "cond_task_specs", None) or []
    found = []
    for item in cond_map:
        condition = item[0] if isinstance(item, tuple) else getattr(item, "condition", None)
        text = getattr(condition, "args", [None])[0] if hasattr(condition, "args") else condition
        if isinstance(text, str) and text.strip():
            found.append(text)
    return found


def _check_code(add: Callable[[str], None], what: str, source: str, mode: str) -> None:
    reason = check_expression(source, mode=mode)
    if reason:
        add(f"{what}はサンドボックスで実行できません: {reason}。使える書き方に直してください"
            f"（{'script' if mode == 'exec' else 'expression'} refused by the script sandbox）。")
