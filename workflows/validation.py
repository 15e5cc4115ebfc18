"""Checks a set of BPMN/DMN documents before deployment and says where each problem is.

SpiffWorkflow validates against the BPMN XSD and builds the specs; on top of that Madoguchi
refuses what would fail at the counter: lanes that route to no section, user tasks without a form,
service tasks naming an operation that does not exist, scripts the sandbox would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from core.errors import Invalid
from workflows.determination import feel
from workflows.scripting import check_expression

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = {"https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/",
                  "https://www.omg.org/spec/DMN/20230324/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd"}


@dataclass
class Problem:
    file: str
    message: str
    element: str | None = None
    line: int | None = None

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
            raise Invalid(f"{file_name}: no executable process (isExecutable=\"true\")",
                          details={"problems": [{"file": file_name, "message": "no executable process"}]})
        return Document(file_name, content, root, "bpmn", keys, names)
    if ns in DMN_NAMESPACES:
        decisions = [d for d in root if etree.QName(d).localname == "decision"]
        if len(decisions) != 1:
            raise Invalid(f"{file_name}: a DMN file must hold exactly one decision (it holds {len(decisions)})",
                          details={"problems": [{"file": file_name, "message": "one decision per DMN file"}]})
        key = decisions[0].get("id")
        return Document(file_name, content, root, "dmn", [key], {key: decisions[0].get("name") or key})
    raise Invalid(f"{file_name}: not a BPMN or DMN document (root namespace {ns!r})",
                  details={"problems": [{"file": file_name, "message": f"unknown namespace {ns}"}]})


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


def _translated_dmn(doc: Document) -> Any:
    """A copy of the DMN tree with FEEL input cells translated (the stored XML keeps what the designer wrote)."""
    root = deepcopy(doc.root)
    problems = feel.translate_dmn(root)
    if problems:
        raise Invalid(f"{doc.file_name}: {problems[0].message()}",
                      details={"problems": [Problem(doc.file_name, p.message(), p.decision).as_dict()
                                            for p in problems]})
    return root


def _problem(err: Exception, file_name: str) -> dict[str, Any]:
    line = getattr(err, "line_number", None) or getattr(err, "sourceline", None)
    return Problem(file=getattr(err, "file_name", None) or file_name, message=str(err).splitlines()[0] if str(err) else
                   type(err).__name__, element=getattr(err, "id", None) or None,
                   line=int(line) if str(line or "").isdigit() else None).as_dict()


def _message(err: Exception, file_name: str) -> str:
    p = _problem(err, file_name)
    where = f"line {p['line']}: " if "line" in p else ""
    element = f" (element {p['element']})" if "element" in p else ""
    return f"{p['file']}: {where}{p['message']}{element}"


def check_process(parser: SpiffBpmnParser, key: str, *, lanes: set[str], operation_names: set[str],
                  form_exists: Callable[[str], bool]) -> tuple[Any, dict[str, Any], list[Problem]]:
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
        problems.extend(_check_task(task_spec, file_name, lanes, operation_names, form_exists))
    return spec, subprocess_specs, problems


def _check_task(task_spec: Any, file_name: str, lanes: set[str], operation_names: set[str],
                form_exists: Callable[[str], bool]) -> list[Problem]:
    problems: list[Problem] = []
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name

    def add(message: str) -> None:
        problems.append(Problem(file=file_name, message=message, element=element))

    lane = getattr(task_spec, "lane", None)
    if lane is not None and lane not in lanes:
        add(f"lane {lane!r} is not a configured section lane (known: {', '.join(sorted(lanes))})")
    if getattr(task_spec, "manual", False):
        _check_human_task(add, task_spec, form_exists)
    if isinstance(task_spec, ServiceTask):
        if task_spec.operation_name not in operation_names:
            add(f"service task calls undefined operation {task_spec.operation_name!r}")
        for name, param in task_spec.operation_params.items():
            _check_code(add, f"parameter {name}", param.get("value", ""), "eval")
    scripts = {"script": getattr(task_spec, "script", None)} if isinstance(task_spec, ScriptEngineTask) else {}
    scripts.update({attr: getattr(task_spec, attr, None) for attr in ("prescript", "postscript")})
    for what, script in scripts.items():
        if script:
            _check_code(add, what, script, "exec")
    for condition in _conditions(task_spec):
        _check_code(add, "condition", condition, "eval")
    return problems


def _check_human_task(add: Callable[[str], None], task_spec: Any, form_exists: Callable[[str], bool]) -> None:
    form = ((getattr(task_spec, "extensions", None) or {}).get("properties") or {}).get("form")
    if not form:
        add("user task has no form (spiffworkflow:property name=\"form\")")
    elif not form_exists(form):
        add(f"user task names form {form!r}, which is not defined")
    if getattr(task_spec, "lane", None) is None:
        add("user task is not in a lane, so no section would receive it")


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
        add(f"{what} refused by the script sandbox: {reason}")
