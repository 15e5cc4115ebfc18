"""Every cell of a decision table read before it is deployed, and a bad one named by decision, rule and column.

SpiffWorkflow evaluates DMN cells only when a case reaches them: a cell it cannot read (an output written
``"本人確認書類、登録する印鑑"（15歳以上）``, half inside the quotes) deploys and later stops the case with an
internal error. Here each condition (input) cell is translated from FEEL (:mod:`workflows.determination.feel`),
each result (output) cell and each input expression is compiled by the script sandbox, and every cell that fails
is reported with the rule number as the table shows it, the column's label, the ids the editor marks the cell by,
and how to write it instead.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from workflows.determination import feel
from workflows.scripting import check_expression


@dataclass(frozen=True)
class BadCell:
    decision: str
    rule: int  # 1-based, as the table shows it
    rule_id: str | None
    column: str  # the column's label (or id)
    column_id: str | None
    cell_id: str | None
    message: str


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: Any) -> str:
    found = next((c for c in element if _local(c) == "text"), None)
    return (found.text or "").strip() if found is not None else ""


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def _input_problem(text: str) -> str | None:
    try:
        translated = feel.translate(text)
    except feel.FeelError as err:
        return (f"条件「{text}」を読めません（{err}）。FEEL の書き方にしてください"
                "（例: \"kokuho\"、\"kokuho\",\"shaho\"、< 3、[20..60)、true、- は問わない）。")
    if translated is not None and check_expression(translated.replace("?", "value"), mode="eval"):
        return f"条件「{text}」は式として使えません。比較する値だけを書いてください（例: >= 75、\"tennyu\"）。"
    return None


def _output_problem(text: str) -> str | None:
    if not text or check_expression(text, mode="eval") is None:
        return None
    return (f"結果「{text}」は式として読めません。文字列は全体を \" で囲み（例: {_quoted(text)}）、"
            "数値はそのまま書いてください（例: 14）。")


def _forms_problem(text: str, form_exists: Callable[[str], bool]) -> str | None:
    """A procedure table's 様式 cell must name forms that exist (the visit prints them)."""
    try:
        value = ast.literal_eval(text) if text else ""
    except (ValueError, SyntaxError):
        return None  # an expression: checked when it runs
    missing = [k.strip() for k in str(value).split(",") if k.strip() and not form_exists(k.strip())]
    if not missing:
        return None
    return (f"様式 {', '.join(missing)} はありません。業務設計の「様式」で作成してデプロイしてから、"
            "この判定表をデプロイしてください。")


def check(root: Any, form_exists: Callable[[str], bool] | None = None) -> list[BadCell]:
    """The unreadable cells and input expressions of every decision table in the DMN tree ``root``; with
    ``form_exists``, also the 様式 (``forms``) cells of a procedure table (``proc_*``) naming a form that does not
    exist."""
    found: list[BadCell] = []
    for decision in (d for d in root if _local(d) == "decision"):
        name = decision.get("id") or "?"
        for table in (t for t in decision if _local(t) == "decisionTable"):
            inputs = [i for i in table if _local(i) == "input"]
            outputs = [o for o in table if _local(o) == "output"]
            columns = [(c, c.get("label") or c.get("name") or c.get("id") or f"#{n + 1}")
                       for n, c in enumerate(inputs + outputs)]
            for column, label in columns[:len(inputs)]:
                expression = next((e for e in column if _local(e) == "inputExpression"), None)
                source = _text(expression) if expression is not None else ""
                reason = check_expression(source, mode="eval") if source else "empty"
                if reason:
                    found.append(BadCell(name, 0, None, label, column.get("id"), column.get("id"),
                                         f"判定表 {name}・列「{label}」: 入力式「{source}」が使えません。入力の変数名"
                                         "（例: age、event）か Python の式を書いてください。"))
            for number, rule in enumerate((r for r in table if _local(r) == "rule"), start=1):
                entries = [e for e in rule if _local(e) in ("inputEntry", "outputEntry")]
                for (column, label), entry in zip(columns, entries, strict=False):
                    text = _text(entry)
                    problem = _input_problem(text) if _local(entry) == "inputEntry" else _output_problem(text)
                    if (problem is None and form_exists is not None and name.startswith("proc_")
                            and column.get("name") == "forms"):
                        problem = _forms_problem(text, form_exists)
                    if problem:
                        found.append(BadCell(name, number, rule.get("id"), label, column.get("id"), entry.get("id"),
                                             f"判定表 {name}・規則 {number}・列「{label}」: {problem}"))
    return found
