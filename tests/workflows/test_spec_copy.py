"""The private copy a case gets of a spec that triggers may rewire (workflows.specs.private_copy)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.util.event import Event

from forms import taskforms
from tests.conftest import deploy_library
from tests.support.families import TENNYU_HOUSEHOLD, TENNYU_INTERVIEW
from workflows import registry, runtime
from workflows.specs import _replay_triggers, _triggered, is_mutable, private_copy


def _journey_specs() -> dict[str, Any]:
    deploy_library()
    keys = [v.key for v in registry.latest_versions() if v.kind == "bpmn" and v.key.startswith("journey_")]
    assert len(keys) >= 9
    return {key: registry.specs_for(registry.current_snapshot(key, engine=runtime.engine()),
                                    engine=runtime.engine()) for key in keys}


@pytest.mark.usefixtures("app")
def test_a_copy_serialises_exactly_like_the_original() -> None:
    engine = runtime.engine()
    for key, specs in _journey_specs().items():
        assert engine.dump_spec(private_copy(specs)) == engine.dump_spec(specs), key


@pytest.mark.usefixtures("app")
def test_a_copy_shares_no_task_spec_and_every_link_resolves_inside_it() -> None:
    for key, specs in _journey_specs().items():
        copied = private_copy(specs)
        for original, clone in zip([specs[0], *specs[1].values()], [copied[0], *copied[1].values()], strict=True):
            assert clone is not original and clone.task_specs is not original.task_specs, key
            assert clone.start is clone.task_specs[original.start.name]
            assert clone.end is clone.task_specs[original.end.name]
            assert all(s is clone.task_specs[s.name] for s in clone.bpmn_start_events)
            for name, task_spec in clone.task_specs.items():
                assert task_spec is not original.task_specs[name]
                assert task_spec._wf_spec is clone  # noqa: SLF001 - the back-pointer the links resolve through
                assert all(t is clone.task_specs[t.name] for t in task_spec.inputs + task_spec.outputs)


@pytest.mark.usefixtures("app")
def test_rewiring_a_copy_leaves_the_cached_spec_untouched() -> None:
    mutable = {key: specs for key, specs in _journey_specs().items() if is_mutable(specs)}
    assert mutable, "some journey has a message-started event subprocess"
    for key, specs in mutable.items():
        pairs = [[process.name, name] for process in [specs[0], *specs[1].values()]
                 for name in getattr(process.start, "trigger_specs", None) or []]
        copied = private_copy(specs)
        _replay_triggers(copied, pairs)
        assert sorted(_triggered(copied)) == sorted(pairs), key
        assert _triggered(specs) == [], key
        # what the registry hands out is a fresh copy every time, never the cached object
        snapshot = registry.current_snapshot(key, engine=runtime.engine())
        assert registry.specs_for(snapshot, engine=runtime.engine())[0] is not specs[0]
        assert _triggered(registry.specs_for(snapshot, engine=runtime.engine())) == []


@pytest.mark.usefixtures("app")
def test_a_copy_has_its_own_events_with_subscribers_bound_to_the_copy() -> None:
    for key, specs in _journey_specs().items():
        processes = [specs[0], *specs[1].values()]
        originals = {id(o) for process in processes for o in [process, *process.task_specs.values()]}
        copied = private_copy(specs)
        for original, clone in zip([specs[0], *specs[1].values()], [copied[0], *copied[1].values()], strict=True):
            for name, task_spec in clone.task_specs.items():
                for attr, event in vars(task_spec).items():
                    if isinstance(event, Event):
                        assert event is not getattr(original.task_specs[name], attr), (key, name, attr)
                        bound = [id(getattr(cb, "__self__", None)) for cb, _, _ in event.hard_subscribers or []]
                        assert not originals & set(bound), (key, name, attr)


@pytest.mark.usefixtures("app")
def test_cases_on_copies_count_each_multi_instance_child_once() -> None:
    """Copies once shared their events: every case's merge_child ran for every child of every other case, so a
    section's parallel procedures counted one completion several times and the section closed early."""
    specs = _journey_specs()["journey_tennyu"]
    engine = runtime.engine()
    subscribers_before = _subscribers(specs)
    workflows = []
    for _ in range(3):  # three cases, each on its own copy, each past the interview
        workflow = engine.start(private_copy(specs), {"household": TENNYU_HOUSEHOLD})
        (interview,) = engine.human_tasks(workflow)
        engine.complete(workflow, interview.uuid, taskforms.validate_data(interview.form_key, TENNYU_INTERVIEW))
        workflows.append(workflow)
    workflow = workflows[-1]
    by_spec: dict[str, list[str]] = {}
    for human in engine.human_tasks(workflow):
        by_spec.setdefault(human.spec_name, []).append(human.uuid)
    spec_name, (first, *others) = next((s, u) for s, u in by_spec.items() if len(u) >= 2)
    engine.complete(workflow, first, {"outcome": "done"})
    still_ready = {h.uuid for h in engine.human_tasks(workflow)}
    assert set(others) <= still_ready, f"{spec_name}: a sibling closed with the first child"
    parent = workflow.get_task_from_id(UUID(first)).parent
    assert parent.internal_data["merged"] == [first]
    assert _subscribers(specs) == subscribers_before  # the copied-from spec gained no subscriber


def _subscribers(specs: Any) -> list[int]:
    return [len(t.completed_event.hard_subscribers or []) for p in [specs[0], *specs[1].values()]
            for t in p.task_specs.values()]
