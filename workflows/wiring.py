"""What the case runtime calls out to, registered explicitly by the application factory (``web.app``).

Two kinds: **service operations**, the named Python functions a diagram's service task calls
(``spiffworkflow:serviceTaskOperator id=…``; diagrams only name them, so no code travels in a diagram), and
**case hooks**, told about every saved case — its READY human tasks, those of them this step opened, and the
task just completed with its cleaned data (the determination links routed procedures to their section tasks
this way). Both live in one :class:`Wiring` that :func:`install` fills; nothing registers itself on import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Operation:
    """A service operation: ``func`` is called with the diagram's parameters as keyword arguments."""

    name: str
    func: Callable[..., Any]
    description: str
    params: dict[str, str]  # parameter name -> type name, as diagrams must pass them


CaseHook = Callable[..., None]


@dataclass
class Wiring:
    operations: dict[str, Operation] = field(default_factory=dict)
    case_hooks: tuple[CaseHook, ...] = ()


WIRING = Wiring()


def install(*, operations: Iterable[Operation], case_hooks: Iterable[CaseHook]) -> None:
    """Make these the operations and hooks of the process (the factory calls it; the same lists again change
    nothing, so several apps in one process — the tests — agree)."""
    WIRING.operations = {op.name: op for op in operations}
    WIRING.case_hooks = tuple(case_hooks)


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
    missing = set(op.params) - set(operation_params)
    if unknown or missing:
        raise ValueError(f"{operation_name}: unknown parameters {sorted(unknown)}, missing {sorted(missing)}")
    kwargs = {name: param["value"] for name, param in operation_params.items()}
    return json.dumps(op.func(**kwargs), ensure_ascii=False, default=str)


def run_case_hooks(**kwargs: Any) -> None:
    """Tell every case hook about a saved case (``case``, ``ready``, ``opened``, ``completed``, ``now``)."""
    for hook in WIRING.case_hooks:
        hook(**kwargs)
