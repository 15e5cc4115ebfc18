"""Named service operations that BPMN service tasks call (``spiffworkflow:serviceTaskOperator id=…``).

Operations are Python, registered here by name; diagrams only name them, so no code travels in a
diagram. Only operations that really work are registered; other packages add theirs with
:func:`operation` when they are imported by :func:`load_all`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import jpholiday


@dataclass(frozen=True)
class Operation:
    name: str
    func: Callable[..., Any]
    description: str
    params: dict[str, str]  # parameter name -> type name, as diagrams must pass them


_OPERATIONS: dict[str, Operation] = {}
# Modules that register operations of their own when they exist (later packages add themselves here).
OPERATION_MODULES: list[str] = ["workflows.determination.routing", "workflows.protection"]


Handler = Callable[..., Any]


def operation(name: str, *, description: str, params: dict[str, str]) -> Callable[[Handler], Handler]:
    """Register ``func`` under ``name``; its keyword arguments are the diagram's parameters."""

    def decorate(func: Handler) -> Handler:
        _OPERATIONS[name] = Operation(name=name, func=func, description=description, params=params)
        return func

    return decorate


def load_all() -> dict[str, Operation]:
    """Import every module that registers operations and return the registry."""
    for module in OPERATION_MODULES:
        importlib.import_module(module)
    return dict(_OPERATIONS)


def names() -> set[str]:
    return set(load_all())


def call(*, context: dict[str, Any], operation_name: str, operation_params: dict[str, dict[str, Any]]) -> str:
    """Run one operation for a service task; the result is JSON because SpiffWorkflow json-loads it."""
    op = load_all().get(operation_name)
    if op is None:
        raise LookupError(f"unknown service operation {operation_name!r}")
    unknown = set(operation_params) - set(op.params)
    missing = set(op.params) - set(operation_params)
    if unknown or missing:
        raise ValueError(f"{operation_name}: unknown parameters {sorted(unknown)}, missing {sorted(missing)}")
    kwargs = {name: param["value"] for name, param in operation_params.items()}
    return json.dumps(op.func(**kwargs), ensure_ascii=False, default=str)


def is_closed_day(day: date) -> bool:
    """City hall is closed on weekends, national holidays and 29 Dec – 3 Jan (地方自治法 4条の2)."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or year_end or jpholiday.is_holiday(day)


@operation("calendar.deadline", description="期限日: start + days; a closed day moves it to the next open day",
           params={"start": "str", "days": "int"})
def deadline(*, start: str, days: int) -> str:
    """The legal deadline ``days`` after ``start`` (ISO date), extended past closed days as the law does."""
    due = date.fromisoformat(str(start)) + timedelta(days=int(days))
    while is_closed_day(due):
        due += timedelta(days=1)
    return due.isoformat()
