"""What the case runtime calls out to, registered explicitly by the application factory (``web.app``).

Four kinds: **service operations**, the named Python functions a diagram's service task calls
(``spiffworkflow:serviceTaskOperator id=…``; diagrams only name them, so no code travels in a diagram),
**case hooks**, told about every saved case — its READY human tasks, those of them this step opened, and the
task just completed with its cleaned data (the determination links routed procedures to their section tasks
this way), the **form provider**, which gives the form a task shows and is completed with (the visit's
interview asks only what the visit needs, per person), and **completion checks**, which may refuse the answers
of a task before the journey moves on (an implausible event date). All live in one :class:`Wiring` that
:func:`install` fills; nothing registers itself on import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from forms import taskforms


@dataclass(frozen=True)
class Operation:
    """A service operation: ``func`` is called with the diagram's parameters as keyword arguments."""

    name: str
    func: Callable[..., Any]
    description: str
    params: dict[str, str]  # parameter name -> type name, as diagrams must pass them
    optional: frozenset[str] = frozenset()  # parameters a diagram may leave out (added after diagrams were made)


CaseHook = Callable[..., None]
FormProvider = Callable[..., Any]
CompletionCheck = Callable[..., None]


def _form_of(*, task: Any, **_: Any) -> taskforms.FormDefinition:
    """The default provider: the task's form as its folder defines it."""
    return taskforms.get(task.form_key)


@dataclass
class Wiring:
    operations: dict[str, Operation] = field(default_factory=dict)
    case_hooks: tuple[CaseHook, ...] = ()
    form_provider: FormProvider = _form_of
    completion_checks: tuple[CompletionCheck, ...] = ()


WIRING = Wiring()


def install(*, operations: Iterable[Operation], case_hooks: Iterable[CaseHook],
            form_provider: FormProvider | None = None, completion_checks: Iterable[CompletionCheck] = ()) -> None:
    """Make these the operations, hooks, form provider and checks of the process (the factory calls it; the
    same lists again change nothing, so several apps in one process — the tests — agree)."""
    WIRING.operations = {op.name: op for op in operations}
    WIRING.case_hooks = tuple(case_hooks)
    WIRING.form_provider = form_provider or _form_of
    WIRING.completion_checks = tuple(completion_checks)


def task_form(task: Any, *, now: Any = None) -> Any:
    """The form ``task`` shows and is completed with (a ``forms.taskforms.FormDefinition``)."""
    return WIRING.form_provider(task=task, now=now)


def check_completion(*, task: Any, form: Any, data: dict[str, Any], now: Any) -> None:
    """Run every completion check on a task's cleaned answers (each raises Invalid to refuse them)."""
    for check in WIRING.completion_checks:
        check(task=task, form=form, data=data, now=now)


def operations() -> list[Operation]:
    """Every installed operation, by name."""
    return sorted(WIRING.operations.values(), key=lambda op: op.name)


def operation_names() -> set[str]:
    return set(WIRING.operations)


def call(*, context: dict[str, Any], operation_name: str, operation_params: dict[str, dict[str, Any]]) -> str:
    """Run one operation for a service task; the result is JSON because SpiffWorkflow json-loads it."""
    op = WIRING.operations.get(operation_name)
    if op is None:
        raise LookupError(f"unknown service operation {operation_name!r}")
    unknown = set(operation_params) - set(op.params)
    missing = set(op.params) - set(operation_params) - op.optional
    if unknown or missing:
        raise ValueError(f"{operation_name}: unknown parameters {sorted(unknown)}, missing {sorted(missing)}")
    kwargs = {name: param["value"] for name, param in operation_params.items()}
    return json.dumps(op.func(**kwargs), ensure_ascii=False, default=str)


def run_case_hooks(**kwargs: Any) -> None:
    """Tell every case hook about a saved case (``case``, ``ready``, ``opened``, ``completed``, ``now``)."""
    for hook in WIRING.case_hooks:
        hook(**kwargs)
