"""The restricted script environment: what scripts may do, what they may not, and that limits hold."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from workflows.scripting import (
    RestrictedEnvironment,
    ScriptError,
    ScriptForbidden,
    ScriptLimitExceeded,
    ScriptTimeout,
    check_expression,
)

DATA = Path(__file__).parents[1] / "data" / "scripting"


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment(timeout_seconds=0.2)


# --- what scripts may do ----------------------------------------------------------------------------------


def test_dmn_like_expressions(env: RestrictedEnvironment) -> None:
    assert env.evaluate("age >= 20", {"age": 30}) is True
    assert env.evaluate("age >= 20", {"age": 19}) is False
    assert env.evaluate("18 <= dmninputexpr < 65", {}, external_context={"dmninputexpr": 40}) is True
    assert env.evaluate('kind in ("juminhyo", "koseki")', {"kind": "koseki"}) is True


def test_evaluate_leaves_task_data_alone(env: RestrictedEnvironment) -> None:
    data = {"fees": [300, 450], "birth": date(2000, 4, 2)}
    # 19, not 20: the birthday (4/2) is not yet reached on 4/1.
    assert env.evaluate("sum(fees) * 2 + age_on(birth, date(2020, 4, 1))", data) == 1500 + 19
    assert data == {"fees": [300, 450], "birth": date(2000, 4, 2)}


def test_script_updates_data_and_leaves_no_helpers(env: RestrictedEnvironment) -> None:
    data: dict[str, Any] = {"name": "山田", "kinds": ["juminhyo"], "applied": date(2024, 3, 1)}
    script = """
kinds.append("koseki")
copies = {}
for i, kind in enumerate(sorted(kinds)):
    copies[kind] = i + 1
count = 0
count += len(copies)
def fee(kind):
    return 450 if kind == "koseki" else 300
fees = [fee(k) for k in kinds if k]
total = sum(fees)
label = f"{name}様 {total:,}円 ({count})"
due = applied + timedelta(days=14)
big = max(map(lambda k: len(k), kinds))
rounded = int(round_half_up(2.5))
print("computed", total)
"""
    assert env.execute(script, data) is True
    assert data == {
        "name": "山田", "kinds": ["juminhyo", "koseki"], "applied": date(2024, 3, 1),
        "copies": {"juminhyo": 1, "koseki": 2}, "i": 1, "kind": "koseki", "count": 2, "fees": [300, 450],
        "total": 750, "label": "山田様 750円 (2)", "due": date(2024, 3, 15), "big": 8, "rounded": 3,
    }


def test_task_data_may_shadow_helpers_without_being_lost(env: RestrictedEnvironment) -> None:
    data = {"date": "2024-01-01", "max": 3}
    env.execute("same = date == '2024-01-01'\nbigger = max + 1", data)
    assert data == {"date": "2024-01-01", "max": 3, "same": True, "bigger": 4}


def test_environment_globals_and_external_context_are_not_left_in_data() -> None:
    env = RestrictedEnvironment(globals={"TAX_RATE": 0.1, "double": lambda x: x * 2})
    data: dict[str, Any] = {"price": 1000}
    env.execute("with_tax = price * (1 + TAX_RATE) + double(extra)", data, external_context={"extra": 5})
    assert data == {"price": 1000, "with_tax": 1110.0}


def test_compiled_code_is_cached(env: RestrictedEnvironment) -> None:
    expression = "amount_for_cache_test > 1000"
    started = time.perf_counter()
    for amount in range(2000):
        env.evaluate(expression, {"amount_for_cache_test": amount})
    assert time.perf_counter() - started < 1.0


# --- what scripts may not do ------------------------------------------------------------------------------

ESCAPES = [
    "__import__('os')",
    "import os",
    "from os import path",
    "().__class__.__mro__",
    "().__class__.__base__.__subclasses__()",
    "getattr((), '__class__')",
    "getattr(getattr, '__globals__')",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('x=1')",
    "compile('1', 'f', 'eval')",
    "type(1)",
    "globals()",
    "vars()",
    "(lambda: 0).__globals__",
    "'{0.__class__}'.format(1)",
    "'{0.__class__}'.format_map({})",
    "str.format('{0.__class__}', 1)",
    "f = 'x'.format\nf('{0.__class__}', 1)",
    "(x for x in []).gi_frame",
    "getattr((x for x in []), 'gi_frame')",
    "int.mro()",
    "class A:\n    pass",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_attempts_fail(env: RestrictedEnvironment, source: str) -> None:
    data: dict[str, Any] = {}
    with pytest.raises(ScriptError):
        env.execute(source, data)
    assert data == {}


@pytest.mark.parametrize("source", [s for s in ESCAPES if "\n" not in s and "import" not in s[:6]])
def test_escape_attempts_fail_as_expressions(env: RestrictedEnvironment, source: str) -> None:
    with pytest.raises(ScriptError):
        env.evaluate(source, {})


def test_refusal_names_the_underscore_rule_and_the_line() -> None:
    with pytest.raises(ScriptForbidden) as refused:
        RestrictedEnvironment().execute("x = 1\ny = ().__class__", {})
    assert refused.value.line_number == 2
    assert "underscore" in str(refused.value)
    assert "line 2: y = ().__class__" in str(refused.value)


def test_check_expression_reports_reasons() -> None:
    assert check_expression("age >= 20", mode="eval") is None
    assert check_expression("x = [i for i in range(3)]", mode="exec") is None
    assert "import" in (check_expression("import os", mode="exec") or "")
    assert "underscore" in (check_expression("x.__class__", mode="eval") or "")
    assert "SyntaxError" in (check_expression("x = ", mode="exec") or "")
    assert check_expression("x = 1", mode="eval") is not None
    with pytest.raises(ValueError, match="mode"):
        check_expression("1", mode="single")


# --- limits -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "while True:\n    pass",
    "x = 0\nwhile True:\n    try:\n        while True:\n            x += 1\n"
    "    except Exception:\n        pass",
    "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nf(60)",
    "f = lambda n: f(n - 1) + f(n - 1) if n else 1\nf(60)",
    "x = sum(1 for i in range(10**6) for j in range(10**6))",
])
def test_runaway_scripts_time_out(env: RestrictedEnvironment, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(source, {})
    assert time.monotonic() - started < 1.5


def test_timeout_works_outside_the_main_thread(env: RestrictedEnvironment) -> None:
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            env.execute("while True:\n    pass", {})
        except ScriptError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=3)
    assert not worker.is_alive()
    assert isinstance(outcome[0], ScriptTimeout)


MEMORY_BOMBS = [  # expressions: each would build a huge object in one step
    "[x for x in range(10**9)]",
    "list(range(10**12))",
    "'a' * 10**10",
    "10**10 * [0]",
    "2 ** 10**10",
    "1 << 10**10",
    "'a'.ljust(10**10)",
    "('a' * 100).replace('', 'x' * 10**5)",
    "'-'.join(['x' * 10**5] * 100)",
    "f'{1:10000000000}'",
    "'%10000000000d' % 1",
    "'%*d' % (10**9, 1)",
    "date(2024, 1, 1).strftime('%1000000000Y')",
    "sum([[1] * 1000] * 1000, [])",
]
DOUBLING_LOOPS = [  # scripts: each doubles an object until the size limit stops it
    "s = 'ab'\nwhile True:\n    s = s + s",
    "s = 'ab'\nwhile True:\n    s *= 2",
    "x = [1]\nwhile True:\n    x.extend(x)",
    "n = 3\nwhile True:\n    n = n * n",
    "x = [1]\nwhile True:\n    x = [*x, *x]",
    "x = (1,)\nwhile True:\n    x = max(*x, 0), *x, *x",
]


@pytest.mark.parametrize(("run", "source"), [("evaluate", s) for s in MEMORY_BOMBS]
                         + [("execute", s) for s in DOUBLING_LOOPS])
def test_memory_bombs_and_doubling_loops_hit_the_size_limit(env: RestrictedEnvironment, run: str,
                                                              source: str) -> None:
    with pytest.raises(ScriptLimitExceeded):
        getattr(env, run)(source, {})


# --- services ---------------------------------------------------------------------------------------------


def test_call_service_delegates_to_the_caller() -> None:
    calls: list[dict[str, Any]] = []

    def caller(**kwargs: Any) -> str:
        calls.append(kwargs)
        return '{"ok": true}'

    env = RestrictedEnvironment(service_caller=caller)
    params = {"code": {"value": "1000001", "type": "str"}}
    assert env.call_service({"a": 1}, operation_name="postal", operation_params=params) == '{"ok": true}'
    assert calls == [{"context": {"a": 1}, "operation_name": "postal", "operation_params": params}]


def test_call_service_without_a_caller_is_a_clear_error() -> None:
    with pytest.raises(ScriptError, match="no service caller"):
        RestrictedEnvironment().call_service({}, operation_name="postal", operation_params={})


# --- end to end through SpiffWorkflow ---------------------------------------------------------------------


def _run_fee_gateway(probe: str) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / "fee_gateway.bpmn"))
    engine = PythonScriptEngine(environment=RestrictedEnvironment(timeout_seconds=0.5))
    workflow = BpmnWorkflow(parser.get_spec("fee_gateway"), script_engine=engine)
    start = workflow.get_next_task(state=TaskState.READY)
    start.data.update(age=30, kinds=["juminhyo", "koseki"], probe=probe)
    workflow.do_engine_steps()
    return workflow


def test_benign_workflow_completes() -> None:
    workflow = _run_fee_gateway("none")
    assert workflow.is_completed()
    data = workflow.last_task.data
    assert data["total"] == 600
    assert data["summary"] == "2 copies, 600 yen"
    assert not any(key.startswith("_") for key in data)


def test_hostile_script_task_fails() -> None:
    with pytest.raises(WorkflowTaskException) as failed:
        _run_fee_gateway("escape")
    assert failed.value.error_type == "ScriptForbidden"
    assert "__class__" in str(failed.value)
    assert failed.value.task.task_spec.name == "probe"
