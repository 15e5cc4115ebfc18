"""Conversion bombs: a small value whose conversion builds a huge one in a single C call
(``int(Decimal("1e999999999"))`` is a billion digits). Each runs in a child process under a memory cap and a
time limit, so that a regression fails instead of hanging the suite; the sandbox must refuse each with
ScriptLimitExceeded."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from workflows.scripting import RestrictedEnvironment, ScriptLimitExceeded

CONVERSION_BOMBS = [
    'int(Decimal("1e999999999"))',
    'int(Decimal("9" * 999999))',
    'round(Decimal("1e999999999"))',
    'ceil(Decimal("1e999999999"))',
    'floor(Decimal("-1e999999999"))',
    'Decimal("1e999999999").as_integer_ratio()',
    'f\'{Decimal("1e999999999"):f}\'',
    'f\'{Decimal("1e-999999999"):f}\'',
    'f\'{Decimal("1e999999999"):%}\'',
    '"%d" % Decimal("1e999999999")',
    '"%d" % (Decimal("1e999999999"),)',
    'int("f" * 900000, 16)',
    'int("9" * 500000)',
    '(1).to_bytes(10**9, "big")',
    '("a" * 1000).translate({97: "b" * 100000})',
]
CHILD = textwrap.dedent("""
    import sys
    from workflows.scripting import RestrictedEnvironment, ScriptLimitExceeded
    try:
        RestrictedEnvironment(timeout_seconds=1).evaluate(sys.argv[1], {})
    except ScriptLimitExceeded as exc:
        print("refused:", exc)
        sys.exit(0)
    print("not refused")
    sys.exit(1)
""")


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


@pytest.mark.parametrize("source", CONVERSION_BOMBS)
def test_conversion_bombs_are_refused(source: str) -> None:
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, source], capture_output=True, text=True, timeout=20,
                               preexec_fn=_cap_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{source}: still converting after 20 s")
    assert child.returncode == 0, f"{source}: {child.stdout.strip()} {child.stderr.strip()[-300:]}"
    assert "refused" in child.stdout


def test_the_refusal_is_quick_and_says_what() -> None:
    with pytest.raises(ScriptLimitExceeded, match="digits"):
        RestrictedEnvironment().evaluate('int(Decimal("1e999999999"))', {})


@pytest.mark.parametrize(("source", "value"), [
    ('int(Decimal("12.5"))', 12), ('round(Decimal("2.5"))', 2), ('round(Decimal("2.345"), 2)', Decimal("2.34")),
    ('ceil(Decimal("1.2"))', 2), ('floor(Decimal("-1.2"))', -2), ('f\'{Decimal("1234.5"):,.1f}\'', "1,234.5"),
    ('"%d件" % Decimal("3")', "3件"), ('int("123")', 123), ('int("ff", 16)', 255),
    ('(255).to_bytes(2, "big")', b"\x00\xff"),
    ('Decimal("0.1").as_integer_ratio()', (1, 10)), ('"abc".translate({97: "x"})', "xbc"),
    ('f\'{Decimal("1e30"):f}\'', "1" + "0" * 30), ('int(Decimal("1e300"))', 10**300),
    ('isinstance(5, int) and not isinstance("5", int)', True), ("int(True) + int(2.9)", 3), ('int(" 42 ")', 42),
    ('int.from_bytes(b"\\x01\\x00", "big")', 256), ('f\'{Decimal("1e-30"):.2f}\'', "0.00"),
])
def test_ordinary_conversions_still_work(source: str, value: object) -> None:
    assert RestrictedEnvironment().evaluate(source, {}) == value
