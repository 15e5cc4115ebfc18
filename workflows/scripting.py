"""Restricted Python for BPMN scripts, gateway conditions, timer expressions, DMN cells and service params.

SpiffWorkflow's stock environment is plain ``eval``/``exec``: whoever can deploy a diagram could run anything
in the web process.  ``RestrictedEnvironment`` compiles every source with RestrictedPython and a stricter
policy, runs it against an allow-list of builtins and guards, and gives each run a wall-clock budget.

Refused at compile time (``ScriptForbidden``, with the offending line; ``check_expression`` reports the same
reason at deploy time): names and attributes starting with ``_``, ``import``, ``class``, calls of ``open``,
``eval``, ``exec``, ``compile``, ``type``, ``vars``, ``globals``, ``locals``, ``input``, ``dir``... and the
frame/code/generator introspection attributes (``gi_frame``, ``f_globals``...).  Refused at run time:
``str.format``/``format_map`` (they reach attributes by name and bypass the guard) and ``getattr`` of any name
the compiler would refuse.  Anything else not on the allow-list is simply undefined (``NameError``).

Bounded:
  * time: every ``while`` body, every ``for``/comprehension/generator step (through ``_getiter_``), every
    function or lambda call and every ``except`` handler checks ``time.monotonic()`` against the deadline, so
    ``ScriptTimeout`` fires in any thread, and a script that catches it is stopped again at its next check;
  * size (``ScriptLimitExceeded``): ``+``, ``*``, ``**``, ``<<`` and their augmented forms on sequences and
    ints, ``*`` unpacking in literals and calls, ``range()`` length, widths in ``%`` formatting, f-string
    format specs and ``strftime``, the ``ljust``/``rjust``/``center``/``zfill``/``expandtabs``/``join``/
    ``replace``/``translate`` string methods, ``list.extend`` with a sized argument, ``sum()`` with a
    non-numeric start, ``int.to_bytes``/``int.from_bytes``; and the conversions that build a huge value from a
    small one in one C call: ``int()``, ``round()``, ``ceil()``, ``floor()``, ``%d``, ``as_integer_ratio()`` and
    fixed-point formats (``f``, ``%``) of a Decimal such as ``Decimal("1e999999999")``, and ``int()`` of a long
    digit string in any base.

Not bounded (defence in depth needs a worker process with ``RLIMIT_AS`` and a hard kill):
  * a single C-level operation cannot be interrupted: deep ``==``, ``str()``/``repr`` or sorting of structures
    that alias the same large container many times (``a = [a, a]`` sixty times) can run for hours;
  * memory allocated step by step inside the time budget (appending in a loop) is limited only by that budget;
  * recursion depth is limited by Python's recursion limit (``RecursionError``), not by this module.
"""

from __future__ import annotations

import ast
import functools
import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.script_guards import (  # noqa: F401 - the errors are part of this module's API
    GUARD_KEYS,
    Budget,
    LimitedInt,
    ScriptError,
    ScriptForbidden,
    ScriptLimitExceeded,
    ScriptTimeout,
    guarded_getattr,
    limited_ceil,
    limited_floor,
    limited_range,
    limited_round,
    numeric_sum,
)

logger = logging.getLogger(__name__)

_FORBIDDEN_CALLS = frozenset({
    "open", "eval", "exec", "compile", "type", "vars", "globals", "locals", "input", "dir", "help",
    "breakpoint", "exit", "quit", "setattr", "delattr", "memoryview", "object", "super", "classmethod",
    "staticmethod", "property", "iter", "next", "id", "hash",
})
_GUARDED_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%",
}

# --- compile time -----------------------------------------------------------------------------------------


def _budget_call(node: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name("_budget_", ast.Load()), args=[], keywords=[])
    copy_locations(call, node)
    return call


def _budget_stmt(node: ast.AST) -> ast.Expr:
    stmt = ast.Expr(_budget_call(node))
    copy_locations(stmt, node)
    return stmt


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus refusals, budget checks and size-guarded operators."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import statements are not allowed in scripts.")
        return node

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed in scripts.")
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f'"{node.func.id}" is not available in scripts.')
        node = super().visit_Call(node)
        return self._guard_starred(node, node.args)

    def visit_While(self, node: ast.While) -> ast.AST:
        node = self.node_contents_visit(node)
        node.body.insert(0, _budget_stmt(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _budget_stmt(node))
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        # Handlers re-check the (sticky) deadline so `except Exception:` cannot swallow a ScriptTimeout.
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _budget_stmt(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        node.body = ast.BoolOp(op=ast.Or(), values=[_budget_call(node), node.body])  # _budget_() is None
        copy_locations(node.body, node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_BINOPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call

    def _guard_starred(self, node: Any, elements: list[ast.expr]) -> Any:
        """``[*a, *a]`` copies in C: check each unpacked value against the limit shared by all of them."""
        starred = [e for e in elements if isinstance(e, ast.Starred) and isinstance(e.ctx, ast.Load)]
        for element in starred:
            element.value = ast.Call(func=ast.Name("_starred_", ast.Load()),
                                     args=[element.value, ast.Constant(len(starred))], keywords=[])
            copy_locations(element.value, element)
        return node

    def visit_List(self, node: ast.List) -> Any:
        return self._guard_starred(self.node_contents_visit(node), node.elts)

    visit_Tuple = visit_Set = visit_List  # type: ignore[assignment]

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is not None:
            call = ast.Call(func=ast.Name("_format_", ast.Load()),
                            args=[node.value, ast.Constant(node.conversion), node.format_spec], keywords=[])
            copy_locations(call, node)
            node.value, node.conversion, node.format_spec = call, -1, None
        return node


def _explain(source: str, error: str) -> tuple[str, int]:
    """Turn RestrictedPython's ``Line N: ...`` into a message quoting the line and the underscore rule."""
    match = re.match(r"Line (\d+): ", error)
    line_number = int(match.group(1)) if match else 0
    message = error if error.endswith(".") else error + "."
    if 'starts with "_"' in error:
        message += " Names and attributes beginning with an underscore are not allowed in scripts."
    lines = source.splitlines()
    if 0 < line_number <= len(lines):
        message += f" [line {line_number}: {lines[line_number - 1].strip()}]"
    return message, line_number


@functools.lru_cache(maxsize=1024)
def _compile(source: str, mode: str) -> Any:
    """Compile once per (source, mode): the same gateway condition is evaluated thousands of times."""
    if mode not in ("eval", "exec"):
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename="<string>", policy=_Policy)
    if result.errors:
        message, line_number = _explain(source, result.errors[0])
        raise ScriptForbidden(f"Script refused: {message}", line_number=line_number)
    return result.code


def check_expression(source: str, *, mode: str) -> str | None:
    """None when ``source`` compiles under the restrictions in ``mode`` ("eval"/"exec"), else the reason."""
    try:
        _compile(source, mode)
    except ScriptForbidden as exc:
        return str(exc)
    return None


def round_half_up(value: float | Decimal | str, digits: int = 0) -> Decimal:
    """Round like fee tables do (四捨五入), not like ``round()`` (banker's rounding)."""
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def age_on(birth_date: date, on: date) -> int:
    """Full years of age on ``on``, the way eligibility rules count them (birthday reached or not)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


SAFE_BUILTINS: dict[str, Any] = {
    **{f.__name__: f for f in (len, min, max, sorted, reversed, any, all, abs, str, float, bool,
                               dict, list, tuple, set, frozenset, enumerate, zip, isinstance, divmod, chr,
                               ord, repr, map, filter)},
    **{e.__name__: e for e in (Exception, ValueError, TypeError, KeyError, IndexError, LookupError,
                               ArithmeticError, ZeroDivisionError)},
    "None": None, "True": True, "False": False,
    "range": limited_range, "sum": numeric_sum, "getattr": guarded_getattr,
    "int": LimitedInt, "round": limited_round, "ceil": limited_ceil, "floor": limited_floor,
    "date": date, "datetime": datetime, "timedelta": timedelta, "Decimal": Decimal,
    "round_half_up": round_half_up, "age_on": age_on,
}
"""Everything a script can name besides task data, the environment's globals and the external context."""

# --- the environment --------------------------------------------------------------------------------------


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs RestrictedPython with a time budget and size limits."""

    def __init__(self, *, globals: dict[str, Any] | None = None, timeout_seconds: float = 1.0,  # noqa: A002
                 service_caller: Callable[..., str] | None = None) -> None:
        super().__init__(globals or {})
        self.timeout_seconds = timeout_seconds
        self.service_caller = service_caller
        # Helpers and globals live in __builtins__: task data may shadow them without being wiped after a run.
        self._builtins = {**SAFE_BUILTINS, **self.globals}

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        """Value of ``expression`` over the task data ``context``; ``context`` is not modified."""
        code = _compile(expression, "eval")
        scope = {**(external_context or {}), **context, **Budget(self.timeout_seconds).guards(),
                 "__builtins__": self._builtins}
        return eval(code, scope)  # restricted code, guarded builtins

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        """Run ``script`` with ``context`` (the task data) as its globals; only data is left behind."""
        code = _compile(script, "exec")
        external_context = external_context or {}
        clashes = set(external_context) & set(context)
        if clashes:
            raise ScriptError(f"task data overwrites predefined names; rename: {sorted(clashes)}")
        shadowed = {key: context[key] for key in GUARD_KEYS if key in context}
        context.update(external_context)
        context.update(Budget(self.timeout_seconds).guards())
        context["__builtins__"] = self._builtins
        try:
            exec(code, context)  # restricted code, guarded builtins
        finally:
            self._clean(context, external_context)
            context.update(shadowed)
        return True

    def _clean(self, context: dict[str, Any], external_context: dict[str, Any]) -> None:
        printed = context.get("_print")
        if isinstance(printed, PrintCollector) and printed.txt:
            logger.debug("script printed: %s", printed())
        for key in list(context):
            if key in GUARD_KEYS or key in external_context or callable(context[key]):
                del context[key]

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> str:
        """Call the configured service caller with ``operation_name`` and ``operation_params``."""
        if self.service_caller is None:
            name = kwargs.get("operation_name")
            raise ScriptError(f"no service caller is configured; cannot call {name!r}")
        return self.service_caller(context=context, **kwargs)
