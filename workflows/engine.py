"""The one wrapper around SpiffWorkflow: parse, start, run, complete, timers, load and dump.

No SpiffWorkflow type leaves this module's callers in ``workflows``; the web layer sees plain data.
Workflows are stored without their spec (the spec is stored once per snapshot, see ``registry`` and
:mod:`workflows.specs`), which keeps a case's size independent of the size of its diagram.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from workflows.scripting import RestrictedEnvironment
from workflows.specs import Specs, make_serializer

# A loop in a diagram must not spin forever inside a request (SpiffWorkflow's own iterator
# silently stops at depth 1000, so we stop well before that).
MAX_ENGINE_ROUNDS = 50
MAX_ENGINE_STEPS = 300
TIMER_EVENT_TYPES = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


class EngineError(Exception):
    """A diagram failed while running (script error, service failure); the case is left as it was."""


class TaskStateError(EngineError):
    """The task is not a READY human task of this case (already done, or not ours to complete)."""


class StepFailed(EngineError):
    """An engine step (service task, script, decision) failed: the workflow keeps that task in ERROR so the
    case can be stored as stopped there (an incident) instead of losing the work that led to it."""

    def __init__(self, message: str, *, task_uuid: str, element_id: str, element_name: str, element_type: str,
                 properties: dict[str, str]) -> None:
        super().__init__(message)
        self.task_uuid, self.element_id, self.element_name = task_uuid, element_id, element_name
        self.element_type, self.properties = element_type, properties


class MigrationRefused(EngineError):
    """A workflow cannot move to another spec version without losing work; the message says which tasks."""


# Tasks in these states have only been predicted: losing their spec in a new version loses no work.
_PREDICTED = TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE


@dataclass(frozen=True)
class HumanTask:
    """A READY user or manual task, as the task table mirrors it."""

    uuid: str
    spec_name: str
    title: str
    lane: str | None
    form_key: str | None
    due: str | None  # an ISO 8601 duration from the diagram ("P14D"), relative to the task's creation
    item: dict[str, Any] | None = None  # the work item of a multi-instance task (property "item" names it)


class _ScriptEngine(PythonScriptEngine):
    """Raises a readable task error when a service operation fails (3.2.0's own handler has a NameError)."""

    def call_service(self, task: Task, **kwargs: Any) -> str:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"service operation {name!r} failed: {err}", task=task, exception=err) from err



class CaseEngine:
    """Owns the serializer and the script engine; every method is pure with respect to the database."""

    def __init__(self, *, service_caller: Callable[..., str] | None = None, timeout_seconds: float = 1.0) -> None:
        self.serializer = make_serializer()
        self.script_engine = _ScriptEngine(
            environment=RestrictedEnvironment(timeout_seconds=timeout_seconds, service_caller=service_caller))

    # -- specs ---------------------------------------------------------------------------------------
    def dump_spec(self, specs: Specs) -> str:
        spec, subprocess_specs = specs
        return json.dumps({"spec": self.serializer.to_dict(spec),
                           "subprocess_specs": {k: self.serializer.to_dict(v) for k, v in subprocess_specs.items()}},
                          sort_keys=True, ensure_ascii=False)

    def load_spec(self, text: str) -> Specs:
        dct = json.loads(text)
        subprocess_specs = {k: self.serializer.from_dict(v) for k, v in dct["subprocess_specs"].items()}
        return self.serializer.from_dict(dct["spec"]), subprocess_specs

    # -- workflows -----------------------------------------------------------------------------------
    def start(self, specs: Specs, data: dict[str, Any]) -> BpmnWorkflow:
        """A new workflow with ``data`` on its start task, run up to its first waits."""
        workflow = BpmnWorkflow(specs[0], specs[1], script_engine=self.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(deepcopy(data))
        self.run(workflow)
        return workflow

    def run(self, workflow: BpmnWorkflow) -> None:
        """Run engine tasks (gateways, scripts, services, due timers) until only waits remain."""
        steps = 0

        def count_step(_task: Task) -> None:
            nonlocal steps
            steps += 1
            if steps > MAX_ENGINE_STEPS:
                raise EngineError(f"the diagram ran more than {MAX_ENGINE_STEPS} steps without waiting (a loop?)")

        try:
            for _ in range(MAX_ENGINE_ROUNDS):
                workflow.refresh_timers()
                while _engine_pass(workflow, count_step):
                    pass
                workflow.refresh_timers()
                if not self._ready_engine_tasks(workflow):
                    return
        except WorkflowTaskException as err:
            raise _step_failed(err) from err
        raise EngineError("the diagram did not settle (a loop?)")

    def retry(self, workflow: BpmnWorkflow, task_uuid: str) -> None:
        """Run a failed (ERROR) engine task again and run on; StepFailed again if the cause is still there."""
        task = self._failed_task(workflow, task_uuid)
        task._set_state(TaskState.READY)  # noqa: SLF001 - SpiffWorkflow has no public "retry" of an ERROR task
        self.run(workflow)

    def skip(self, workflow: BpmnWorkflow, task_uuid: str) -> None:
        """Complete a failed engine task without running it (the model marked it skippable) and run on."""
        task = self._failed_task(workflow, task_uuid)
        task._set_state(TaskState.READY)  # noqa: SLF001
        task.complete()
        self.run(workflow)

    def _failed_task(self, workflow: BpmnWorkflow, task_uuid: str) -> Task:
        task = next((t for t in _all_tasks(workflow) if str(t.id) == task_uuid), None)
        if task is None or task.state != TaskState.ERROR:
            raise TaskStateError(f"task {task_uuid} has not failed in this case")
        return task

    def failed_tasks(self, workflow: BpmnWorkflow) -> list[str]:
        """The uuids of the engine tasks in ERROR (a stopped case)."""
        return [str(t.id) for t in _all_tasks(workflow) if t.state == TaskState.ERROR]

    def _ready_engine_tasks(self, workflow: BpmnWorkflow) -> list[Task]:
        return [t for t in _all_tasks(workflow) if t.state == TaskState.READY and not t.task_spec.manual]

    def human_tasks(self, workflow: BpmnWorkflow) -> list[HumanTask]:
        """READY user/manual tasks, read from the task dicts (not the depth-limited iterator)."""
        return [_human_task(t) for t in _all_tasks(workflow)
                if t.state == TaskState.READY and t.task_spec.manual]

    def complete(self, workflow: BpmnWorkflow, task_uuid: str, data: dict[str, Any]) -> None:
        """Complete one READY human task with ``data`` and run on; refuses anything else."""
        try:
            task = workflow.get_task_from_id(UUID(task_uuid))
        except Exception as err:
            raise TaskStateError(f"task {task_uuid} is not part of this case") from err
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskStateError(f"task {task.task_spec.bpmn_name or task.task_spec.name} is not waiting for input")
        task.data.update(deepcopy(data))
        try:
            task.run()
        except WorkflowTaskException as err:
            raise EngineError(_describe(err)) from err
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow lets some errors of the diagram's data through raw
            raise EngineError(f"{type(err).__name__}: {err} (task: {task.task_spec.bpmn_name or task.task_spec.name})"
                              ) from err
        self.run(workflow)

    def deliver_message(self, workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> None:
        """Deliver BPMN message ``name`` (a message start event of an event subprocess, or a waiting catch
        event) with ``payload`` and run on; EngineError when nothing in the workflow catches it."""
        try:
            workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=deepcopy(payload)))
        except WorkflowTaskException as err:
            raise EngineError(_describe(err)) from err
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow says "not waiting for" with a bare exception
            raise EngineError(f"the diagram does not catch message {name!r}: {err}") from err
        self.run(workflow)

    def migrate(self, workflow: BpmnWorkflow, specs: Specs) -> list[str]:
        """Move ``workflow`` onto ``specs`` and run on; MigrationRefused (nothing changed) when a task that is
        ready, waiting, started or done has no counterpart in the new version. Returns the changed task ids."""
        new_spec, new_dependencies = specs
        try:
            top, sub_diffs = diff_workflow(self.serializer.registry, workflow, new_spec, new_dependencies)
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow cannot align these versions at all
            raise MigrationRefused(f"the two versions cannot be aligned: {err}") from err
        reasons = _migration_blockers(workflow, top, sub_diffs)
        if reasons:
            raise MigrationRefused("; ".join(reasons))
        migrate_workflow(top, workflow, new_spec)
        for sp_id, sp_diff in sub_diffs.items():
            sub = workflow.subprocesses[sp_id]
            migrate_workflow(sp_diff, sub, new_dependencies[sub.spec.name])
        workflow.subprocess_specs = new_dependencies
        self.run(workflow)
        return sorted({t.task_spec.name for t in top.changed})

    def cancel(self, workflow: BpmnWorkflow) -> None:
        workflow.cancel()

    def is_completed(self, workflow: BpmnWorkflow) -> bool:
        """No unfinished task anywhere (read from the task dicts, not the depth-limited iterator)."""
        return workflow.completed or not any(t.has_state(TaskState.NOT_FINISHED_MASK) for t in _all_tasks(workflow))

    def data(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The case data as the last completed task left it, merged over the workflow's own data."""
        merged: dict[str, Any] = dict(workflow.data)
        finished = [t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED]
        for task in sorted(finished, key=lambda t: t.last_state_change):
            merged.update(task.data)
        return merged

    def correct_data(self, workflow: BpmnWorkflow, values: dict[str, Any]) -> None:
        """Set ``values`` wherever the case's data holds them (the workflow's data and every task's): a
        correction (e.g. the event date) then reads the same from every task and from :meth:`data`."""
        workflow.data.update(deepcopy(values))
        for task in _all_tasks(workflow):
            for key in values.keys() & task.data.keys():
                task.data[key] = deepcopy(values[key])

    def next_timer_at(self, workflow: BpmnWorkflow) -> datetime | None:
        """When the earliest waiting timer falls due (for the scheduler's poll), else None."""
        times = []
        for event in workflow.waiting_events():
            if event.event_type in TIMER_EVENT_TYPES and isinstance(event.value, str):
                times.append(TimerEventDefinition.get_datetime(event.value))
        return min(times) if times else None

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """JSON of the workflow without its spec."""
        return self.serializer.serialize_json(workflow)

    def loads(self, text: str, specs: Specs) -> BpmnWorkflow:
        dct = json.loads(text)
        self.serializer.migrate(dct)
        dct["__specs__"] = specs
        workflow = self.serializer.from_dict(dct)
        workflow.script_engine = self.script_engine
        return workflow


def _run_ready(workflow: Any, count_step: Callable[[Task], None]) -> int:
    """Run every READY engine task of one (sub)workflow, found in its task dict rather than by SpiffWorkflow's
    tree iterator, which silently stops at depth 1000 (a loop of ~330 passes)."""
    ran = 0
    for task in [t for t in workflow.tasks.values() if t.state == TaskState.READY and not t.task_spec.manual]:
        if task.state == TaskState.READY:  # an earlier task of this pass may have moved it on
            count_step(task)
            task.run()
            ran += 1
    return ran


def _engine_pass(workflow: BpmnWorkflow, count_step: Callable[[Task], None]) -> bool:
    """One pass of BpmnWorkflow._do_engine_steps with the task-dict scan; True while there is more to do."""
    active = workflow.get_active_subprocesses()
    for sub in sorted(active, key=lambda s: s.depth, reverse=True):
        while _run_ready(sub, count_step):
            pass
        if sub.parent_task_id is not None:
            parent = workflow.get_task_from_id(sub.parent_task_id)
            parent.task_spec._update(parent)  # noqa: SLF001 - what do_engine_steps does to finish a subprocess
    ran = _run_ready(workflow, count_step)
    return ran > 0 or len(workflow.get_active_subprocesses()) > len(active)


def _all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def _migration_blockers(workflow: BpmnWorkflow, top: Any, sub_diffs: dict[Any, Any]) -> list[str]:
    reasons = [_lost(t, "") for t in top.removed if not t.has_state(_PREDICTED)]
    for sp_id, sp_diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        if sp_diff is None:
            reasons.append(f"the called process {sub.spec.name!r} is running but the new version does not call it")
        else:
            reasons.extend(_lost(t, f" of {sub.spec.name!r}") for t in sp_diff.removed if not t.has_state(_PREDICTED))
    return reasons


def _lost(task: Task, where: str) -> str:
    spec = task.task_spec
    return (f"task {spec.bpmn_name or spec.name!r} ({spec.name}){where} is {TaskState.get_name(task.state)} "
            "but does not exist in the new version")


def _human_task(task: Task) -> HumanTask:
    spec = task.task_spec
    props = (getattr(spec, "extensions", None) or {}).get("properties", {})
    item = task.data.get(props["item"]) if props.get("item") else None
    return HumanTask(uuid=str(task.id), spec_name=spec.name, title=spec.bpmn_name or spec.name, lane=spec.lane,
                     form_key=props.get("form"), due=props.get("due"), item=item if isinstance(item, dict) else None)


def _step_failed(err: WorkflowTaskException) -> StepFailed:
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None)
    return StepFailed(_describe(err), task_uuid=str(getattr(task, "id", "")),
                      element_id=getattr(spec, "bpmn_id", None) or getattr(spec, "name", "") or "",
                      element_name=getattr(spec, "bpmn_name", None) or getattr(spec, "name", "") or "",
                      element_type=type(spec).__name__, properties=task_properties(spec) if spec else {})


def _describe(err: WorkflowTaskException) -> str:
    where = getattr(err, "task_name", None) or getattr(getattr(err, "task", None), "task_spec", None)
    name = getattr(where, "bpmn_name", None) or getattr(where, "name", None) or where
    return f"{err} (task: {name})" if name else str(err)


def serializer_version() -> str:
    return SERIALIZER_VERSION


def task_properties(spec: Any) -> dict[str, str]:
    return (getattr(spec, "extensions", None) or {}).get("properties", {})


def start_form(specs: Specs) -> str | None:
    """The form the process's start event declares (property ``form``): the schema of its start data."""
    spec = specs[0]
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent" and task_properties(task_spec).get("form"):
            return str(task_properties(task_spec)["form"])
    return None


def iter_task_specs(specs: Specs) -> Iterable[Any]:
    spec, subprocess_specs = specs
    for s in [spec, *subprocess_specs.values()]:
        yield from s.task_specs.values()
