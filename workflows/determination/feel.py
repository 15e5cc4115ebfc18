"""FEEL unary tests (what dmn-js users type in input cells) → expressions for the restricted evaluator.

SpiffWorkflow evaluates DMN input cells as Python: ``"a","b"`` silently never matches, ``[20..60)`` and
``true`` fail. Every input cell is therefore translated at deploy time into an explicit expression over
``?`` (SpiffWorkflow's placeholder for the input value), and anything we cannot translate is refused with
its position. Supported: ``-`` / empty (any value), literals (strings, numbers, ``true``, ``false``,
``null``), comparisons (``< <= > >=``, also ``= !=``), ranges (``[a..b]``, ``(a..b)``, ``]a..b[``, mixed),
lists of tests (``"kokuho","shaho"``, ``< 5, > 10``: any of them), ``not(tests)``, and simple names
(``>= age_limit``) that refer to other inputs of the evaluation context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<range>\.\.)
  | (?P<op><=|>=|!=|<|>|=)
  | (?P<punct>[\[\]\(\),])
  | (?P<name>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)
)""", re.VERBOSE)
_LITERAL_NAMES = {"true": "True", "false": "False", "null": "None"}
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!="}


class FeelError(ValueError):
    """A cell that is not a FEEL unary test we can translate."""


@dataclass(frozen=True)
class CellProblem:
    decision: str
    rule: int  # 1-based, as the table shows it
    column: str  # the input's label (or id)
    text: str
    reason: str

    def message(self) -> str:
        return (f"decision {self.decision}, rule {self.rule}, column {self.column!r}: cannot translate "
                f"{self.text!r} ({self.reason})")


def _tokens(text: str) -> list[tuple[str, str]]:
    found, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise FeelError(f"unexpected {text[pos:pos + 10]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        pos = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise FeelError(f"expected {value or 'a value'}")
        self.pos += 1
        return token

    def tests(self) -> str:
        parts = [self.test()]
        while self.peek() == ("punct", ","):
            self.take(",")
            parts.append(self.test())
        return parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)

    def test(self) -> str:
        token = self.peek()
        if token is None:
            raise FeelError("empty test")
        if token == ("name", "not"):
            self.take()
            self.take("(")
            inner = self.tests()
            self.take(")")
            return f"not ({inner})"
        if token[0] == "op":
            self.take()
            return f"? {_COMPARE[token[1]]} {self.value()}"
        if token[1] in "[(]":
            return self.interval()
        value = self.value()
        if value == "None":
            return "? is None"
        return f"? == {value}"

    def interval(self) -> str:
        opening = self.take()[1]
        low = self.value()
        self.take("..")
        high = self.value()
        closing = self.take()[1]
        if closing not in "])[":
            raise FeelError("a range ends with ] ) or [")
        low_op = "<=" if opening == "[" else "<"
        high_op = "<=" if closing == "]" else "<"
        return f"{low} {low_op} ? {high_op} {high}"

    def value(self) -> str:
        kind, text = self.take()
        if kind in ("string", "number"):
            return text
        if kind == "name" and text in _LITERAL_NAMES:
            return _LITERAL_NAMES[text]
        if kind == "name" and "." not in text and text != "not":
            return text
        raise FeelError(f"{text!r} is not a value")


def translate(cell: str | None) -> str | None:
    """The Python expression for one FEEL unary test (None: matches anything); FeelError if untranslatable."""
    text = (cell or "").strip()
    if text in ("", "-"):
        return None
    if "?" in text:
        raise FeelError("'?' is not FEEL")
    parser = _Parser(text)
    expression = parser.tests()
    if parser.peek() is not None:
        raise FeelError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return expression


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""  # comments have no name


def translate_dmn(root: etree._Element) -> list[CellProblem]:
    """Rewrite every input cell of the DMN tree ``root`` in place; the cells we could not translate."""
    problems: list[CellProblem] = []
    for decision in (d for d in root if _local(d) == "decision"):
        for table in (t for t in decision if _local(t) == "decisionTable"):
            inputs = [i for i in table if _local(i) == "input"]
            columns = [i.get("label") or i.get("id") or f"#{n + 1}" for n, i in enumerate(inputs)]
            rules = [r for r in table if _local(r) == "rule"]
            for number, rule in enumerate(rules, start=1):
                entries = [e for e in rule if _local(e) == "inputEntry"]
                for column, entry in zip(columns, entries, strict=False):
                    problem = _translate_entry(entry, decision.get("id") or "?", number, column)
                    if problem:
                        problems.append(problem)
    return problems


def _translate_entry(entry: etree._Element, decision: str, rule: int, column: str) -> CellProblem | None:
    text_el = next((c for c in entry if _local(c) == "text"), None)
    original = text_el.text if text_el is not None else None
    try:
        translated = translate(original)
    except FeelError as err:
        return CellProblem(decision, rule, column, original or "", str(err))
    if text_el is not None:
        text_el.text = translated if translated is not None else "-"
    return None
