"""Run-time guards of the script sandbox: size limits, the guarded getattr, and each run's time budget.

Split from :mod:`workflows.scripting`, which compiles scripts (the policy that rewrites operators and loops into
calls of these guards) and runs them; see its docstring for what is refused and what is bounded.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from datetime import date
from decimal import Decimal
from typing import Any

from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

MAX_SEQUENCE_LENGTH = 1_000_000
"""Longest str/bytes/list/tuple/range a guarded operation may produce."""
MAX_INT_BITS = 100_000
"""Largest int (in bits) ``*``, ``**`` and ``<<`` may produce; about 30,000 decimal digits."""
MAX_FORMAT_WIDTH = 10_000
"""Largest width or precision in ``%`` formats, f-string specs and ``strftime`` formats."""
MAX_INT_DIGITS = int(MAX_INT_BITS * math.log10(2))
"""Most decimal digits of an int a conversion (``int``, ``round``, ``ceil``, ``floor``, ``%d``) may build: the same
size as :data:`MAX_INT_BITS` (about 30,000 digits). ``Decimal("1e999999999")`` is small; its int is a billion digits."""

FORBIDDEN_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro", "format", "format_map"}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
}
_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}
_SEQUENCES = (str, bytes, list, tuple)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_NUMBER = re.compile(r"\d+")
_HELPER_KEYS = ("_print", "_getiter_", "_budget_")


class ScriptError(Exception):
    """A script or expression was refused or stopped by the restricted environment."""


class ScriptForbidden(ScriptError):
    """The source uses something scripts may not use; ``line_number`` is 0 when it was refused at run time."""

    def __init__(self, message: str, *, line_number: int = 0) -> None:
        super().__init__(message)
        self.line_number = line_number


class ScriptTimeout(ScriptError):
    """The script ran past its wall-clock budget."""


class ScriptLimitExceeded(ScriptError):
    """An operation would have produced a value larger than the configured limits."""


# --- guards -----------------------------------------------------------------------------------------------


def _check_length(length: object, what: str = "value") -> None:
    if isinstance(length, int) and length > MAX_SEQUENCE_LENGTH:
        raise ScriptLimitExceeded(f"{what} of length {length} exceeds the limit of {MAX_SEQUENCE_LENGTH}")


def _check_int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(f"integer of about {bits} bits exceeds the limit of {MAX_INT_BITS} bits")


def _integer_digits(value: Decimal) -> int:
    """How many digits the integer part of a finite Decimal has (0 for |value| < 1)."""
    return max(value.adjusted() + 1, 0) if value.is_finite() else 0


def _check_decimal(value: Any, what: str = "conversion to int") -> None:
    """A Decimal whose integer part is too long to become an int (or be written out in full)."""
    if isinstance(value, Decimal) and _integer_digits(value) > MAX_INT_DIGITS:
        raise ScriptLimitExceeded(f"{what} of a Decimal with {_integer_digits(value)} integer digits exceeds the "
                                  f"limit of {MAX_INT_DIGITS} digits")


def _check_int_text(text: str | bytes | bytearray, base: int) -> None:
    """Digits of ``text`` in ``base`` that would make an int larger than :data:`MAX_INT_BITS`."""
    bits = len(text) * math.log2(base if base >= 2 else 16)  # base 0: the prefix decides; count the worst
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(f"conversion to int of {len(text)} digits exceeds the limit of "
                                  f"{MAX_INT_DIGITS} digits")


def _check_widths(numbers: Iterable[str | None], where: str) -> None:
    for number in numbers:
        if number == "*":
            raise ScriptLimitExceeded(f"'*' widths are not allowed in {where}")
        if number and int(number) > MAX_FORMAT_WIDTH:
            raise ScriptLimitExceeded(f"width {number} in {where} exceeds the limit of {MAX_FORMAT_WIDTH}")


def _check_binop(symbol: str, left: Any, right: Any) -> None:
    both_ints = isinstance(left, int) and isinstance(right, int)
    if symbol == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_length(len(left) + len(right))
    elif symbol == "*" and both_ints:
        _check_int_bits(left.bit_length() + right.bit_length())
    elif symbol == "*" and isinstance(left, _SEQUENCES) and isinstance(right, int):
        _check_length(len(left) * right)
    elif symbol == "*" and isinstance(right, _SEQUENCES) and isinstance(left, int):
        _check_length(len(right) * left)
    elif symbol == "**" and both_ints and right > 0:
        _check_int_bits(max(abs(left).bit_length() - 1, 0) * right)
    elif symbol == "<<" and both_ints:
        _check_int_bits(left.bit_length() + right)
    elif symbol == "%" and isinstance(left, str):
        _check_widths((n for m in _PERCENT_SPEC.finditer(left) for n in m.groups()), "% formatting")
        for value in right.values() if isinstance(right, dict) else right if isinstance(right, tuple) else (right,):
            _check_decimal(value, "% formatting")  # %d turns a Decimal into an int


def _binop(symbol: str, left: Any, right: Any) -> Any:
    _check_binop(symbol, left, right)
    return _OPERATORS[symbol](left, right)


def _starred(value: Any, count: int) -> Any:
    if isinstance(value, Sized):
        _check_length(len(value) * count, "unpacked value")
    return value


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    _check_binop(op[:-1], target, value)
    return _INPLACE_OPERATORS[op](target, value)


def _format(value: Any, conversion: int, spec: str) -> str:
    _check_widths(_NUMBER.findall(spec), "format specs")
    if isinstance(value, Decimal) and value.is_finite() and spec[-1:] in ("f", "F", "%"):
        written = _integer_digits(value) + (0 if "." in spec else max(-value.as_tuple().exponent, 0))  # type: ignore[operator]
        if written > MAX_SEQUENCE_LENGTH:
            raise ScriptLimitExceeded(f"fixed-point format of a Decimal would write {written} digits "
                                      f"(limit {MAX_SEQUENCE_LENGTH}); use the scientific format")
    converters: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}
    return format(converters[conversion](value) if conversion in converters else value, spec)


def _guarded_join(separator: str | bytes, items: Iterable[Any]) -> Any:
    items = list(items)
    sizes = sum(len(item) for item in items if isinstance(item, (str, bytes)))
    _check_length(sizes + len(separator) * len(items), "joined string")
    return separator.join(items)


_STRING_SIZES: dict[str, Callable[..., int]] = {
    "ljust": lambda s, width, *_: width,
    "rjust": lambda s, width, *_: width,
    "center": lambda s, width, *_: width,
    "zfill": lambda s, width: width,
    "expandtabs": lambda s, tabsize=8: len(s) + s.count("\t" if isinstance(s, str) else b"\t") * tabsize,
    "replace": lambda s, old, new, *_: len(s) + s.count(old) * max(len(new) - len(old), 0),
    "translate": lambda s, table: len(s) * max([len(v) for v in table.values() if isinstance(v, (str, bytes))]
                                               or [1]) if isinstance(table, dict) else len(s),
}


def _size_guarded(obj: Any, name: str, method: Any) -> Any:
    """Wrap the few methods that can build a huge value from small arguments."""
    estimate: Callable[..., int] | None = None
    if isinstance(obj, (str, bytes)) and name == "join":
        return functools.partial(_guarded_join, obj)
    if isinstance(obj, (str, bytes)):
        estimate = _STRING_SIZES.get(name)
    elif isinstance(obj, list) and name == "extend":
        estimate = lambda lst, items: len(lst) + len(items) if isinstance(items, Sized) else 0  # noqa: E731
    elif isinstance(obj, date) and name == "strftime":
        return lambda fmt: (_check_widths(_NUMBER.findall(fmt), "strftime"), method(fmt))[1]
    elif isinstance(obj, Decimal) and name == "as_integer_ratio":
        return lambda: (_check_decimal(obj, "as_integer_ratio()"), method())[1]
    elif isinstance(obj, int) and name == "to_bytes":
        estimate = lambda n, length=1, *_, **__: length  # noqa: E731
    if estimate is None:
        return method

    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check_length(estimate(obj, *args, **kwargs), f"result of {name}()")
        return method(*args, **kwargs)

    return guarded


_MISSING = object()


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``getattr`` for scripts: no ``_`` names, no introspection, no ``str.format``, size-checked methods."""
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        raise ScriptForbidden(f'attribute "{name}" is not available in scripts (underscore names, '
                              "introspection and str.format are refused; use f-strings to format)")
    value = getattr(obj, name) if default is _MISSING else getattr(obj, name, default)
    return _size_guarded(obj, name, value)


class _Guarded(type):
    """The type of a guarded stand-in for a builtin type: ``isinstance``/``issubclass`` still answer as for it."""

    wraps: type

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls.wraps)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls.wraps)


class LimitedInt(metaclass=_Guarded):
    """``int`` for scripts: a conversion never builds an int past :data:`MAX_INT_DIGITS` in one C call."""

    wraps = int

    def __new__(cls, value: Any = 0, base: int | None = None) -> int:  # type: ignore[misc]
        if isinstance(value, (str, bytes, bytearray)):
            _check_int_text(value, 10 if base is None else base)
            return int(value) if base is None else int(value, base)
        if base is not None:
            raise TypeError("int() can't convert non-string with explicit base")
        _check_decimal(value)
        return int(value)

    @staticmethod
    def from_bytes(data: bytes, byteorder: str = "big", *, signed: bool = False) -> int:
        if len(data) * 8 > MAX_INT_BITS:
            raise ScriptLimitExceeded(f"int.from_bytes of {len(data)} bytes exceeds the limit of {MAX_INT_BITS} bits")
        return int.from_bytes(data, byteorder, signed=signed)  # type: ignore[arg-type]


def limited_round(number: Any, ndigits: int | None = None) -> Any:
    """``round`` for scripts: rounding a Decimal to an int is the same conversion as ``int``."""
    if ndigits is None:
        _check_decimal(number, "round()")
        return round(number)
    return round(number, ndigits)


def limited_ceil(number: Any) -> int:
    _check_decimal(number, "ceil()")
    return math.ceil(number)


def limited_floor(number: Any) -> int:
    _check_decimal(number, "floor()")
    return math.floor(number)


def limited_range(*args: int) -> range:
    result = range(*args)
    try:
        length = len(result)
    except OverflowError:
        length = MAX_SEQUENCE_LENGTH + 1
    _check_length(length, "range")
    return result


def numeric_sum(items: Iterable[Any], start: int | float | Decimal = 0) -> Any:
    # sum() with a list or str start concatenates in C, unguarded and quadratic.
    if not isinstance(start, (int, float, Decimal)):
        raise ScriptLimitExceeded("sum() only adds numbers in scripts; use a comprehension to concatenate")
    return sum(items, start)


_STATIC_GUARDS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_binop_": _binop,
    "_starred_": _starred,
    "_format_": _format,
    "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
    "_print_": PrintCollector,  # collected, then logged at DEBUG by _clean
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
}
GUARD_KEYS = frozenset(_STATIC_GUARDS) | {*_HELPER_KEYS, "__builtins__"}


class Budget:
    """One run's deadline; the check is sticky, so once late every later check raises again."""

    __slots__ = ("deadline", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise ScriptTimeout(f"script ran longer than {self.timeout:g} s")

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.check()
            yield item

    def guards(self) -> dict[str, Any]:
        return {**_STATIC_GUARDS, "_budget_": self.check, "_getiter_": self.iterate}
