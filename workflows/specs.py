"""Specs shared by the cases started on them, and how a case is stored without its spec.

A spec is parsed once per snapshot and shared (``workflows.registry``). Running a case may rewire it in one way:
a message- or signal-started event subprocess is connected into its process spec the first time it fires
(:func:`is_mutable`); such specs are never shared — each load gets a :func:`private_copy` — and the wiring is
kept with the case as a short list and replayed on load. Cases are serialised without their spec (the
serializer of :func:`make_serializer`), which keeps a case's size independent of its diagram's.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.event import Event


class SpecError(Exception):
    """A spec cannot be copied safely (an event with subscribers this module does not know how to copy)."""


Specs = tuple[Any, dict[str, Any]]
TRIGGERED_KEY = "madoguchi_triggered"


def _process_specs(specs: Specs) -> list[Any]:
    return [specs[0], *specs[1].values()]


def is_mutable(specs: Specs) -> bool:
    """True when running a case may rewire its spec: SpiffWorkflow connects a message- or signal-started event
    subprocess into its process spec the first time it fires (``BpmnStartTask.trigger_wf``). Such specs must
    never be shared between cases; each load gets its own copy and the wiring is replayed from the case."""
    return any(getattr(getattr(s, "start", None), "trigger_specs", None) for s in _process_specs(specs))


def private_copy(specs: Specs) -> Specs:
    """A copy of ``specs`` that a case may change without touching the original (~0.3 ms, not the ~2.5 ms of
    parsing the spec again).

    What running a case changes in a spec: a trigger connects an event subprocess (the name lists ``_inputs``/
    ``_outputs``, resolved through ``_wf_spec.task_specs``), and a multi-instance task subscribes its
    ``merge_child`` to its child spec's ``completed_event``. So every process spec and task spec is copied
    shallowly with its own name lists, its back-pointer moved to the copy, and its own events, whose subscribers
    bound to a spec of the original are re-bound to that spec's copy (sharing the events made every copy's
    ``merge_child`` run for every case: a leak, and children counted several times). Everything else
    (conditions, extensions, event definitions) is read-only at run time and stays shared.
    ``tests/workflows/test_spec_copy.py`` checks that the copy serialises like the original and shares nothing
    that runs change."""
    clones: dict[int, Any] = {}

    def one(spec: Any) -> Any:
        new = clones[id(spec)] = _shallow(spec)
        new.task_specs = {}
        for name, task_spec in spec.task_specs.items():
            clone = clones[id(task_spec)] = _shallow(task_spec)
            clone._wf_spec, clone._inputs, clone._outputs = new, list(task_spec._inputs), list(task_spec._outputs)
            if getattr(task_spec, "trigger_specs", None) is not None:
                clone.trigger_specs = list(task_spec.trigger_specs)
            new.task_specs[name] = clone
        new.start, new.end = new.task_specs[spec.start.name], new.task_specs[spec.end.name]
        new.bpmn_start_events = [new.task_specs[t.name] for t in getattr(spec, "bpmn_start_events", [])]
        if getattr(spec, "conditional_paths", None) is not None:
            new.conditional_paths = [new.task_specs[t.name] for t in spec.conditional_paths]
        return new

    copied = one(specs[0]), {name: one(spec) for name, spec in specs[1].items()}
    for process in [copied[0], *copied[1].values()]:
        for clone in process.task_specs.values():
            for attr, value in list(vars(clone).items()):
                if isinstance(value, Event):
                    setattr(clone, attr, _event_copy(value, clones))
    return copied


def _event_copy(event: Event, clones: dict[int, Any]) -> Event:
    """A new event with the same subscribers, those bound to an original spec re-bound to its copy."""
    def rebind(callback: Any) -> Any:
        clone = clones.get(id(getattr(callback, "__self__", None)))
        return getattr(clone, callback.__func__.__name__) if clone is not None else callback

    if event.weak_subscribers:
        raise SpecError("a spec event has weak subscribers; private_copy does not know how to copy them")
    new = Event()
    if event.hard_subscribers:
        new.hard_subscribers = [(rebind(callback), args, kwargs) for callback, args, kwargs in event.hard_subscribers]
    return new


def _shallow(obj: Any) -> Any:
    """``copy.copy`` for plain objects, without its ``__reduce_ex__`` round trip (3× faster here)."""
    clone = object.__new__(type(obj))
    clone.__dict__.update(obj.__dict__)
    return clone


def _triggered(specs: Specs) -> list[list[str]]:
    """The (process, event subprocess) pairs that have been wired in by a trigger so far."""
    pairs = []
    for process in _process_specs(specs):
        start = getattr(process, "start", None)
        for name in getattr(start, "trigger_specs", None) or []:
            if start in process.task_specs[name].inputs:
                pairs.append([process.name, name])
    return pairs


def _replay_triggers(specs: Specs, pairs: list[list[str]]) -> None:
    """Re-wire what earlier triggers wired, exactly as ``BpmnStartTask.trigger_wf`` does."""
    by_name = {s.name: s for s in _process_specs(specs)}
    for process_name, name in pairs:
        process = by_name[process_name]
        event_spec = process.task_specs[name]
        if process.start not in event_spec.inputs:
            process.start.connect(event_spec)
            event_spec.connect(process.end)


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Writes workflows without their spec and reads them back with a spec supplied by the caller.

    The only per-case change SpiffWorkflow makes to a spec (wiring in a triggered event subprocess) is kept
    with the case as a short list and replayed on load; see :func:`is_mutable`."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        triggered = _triggered((workflow.spec, workflow.subprocess_specs))
        if triggered:
            dct[TRIGGERED_KEY] = triggered
        return dct

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("__specs__")
        triggered = dct.pop(TRIGGERED_KEY, [])
        if triggered:
            _replay_triggers((spec, subprocess_specs), triggered)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def make_serializer() -> BpmnWorkflowSerializer:
    config = deepcopy(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
