"""What changed between two versions of a decision table, cell by cell, with the old and the new value.

Rules and columns are matched by their ids (dmn-js keeps them), so a moved rule is not a change and a cell shows
as "rule 2 · 持ち物: "印鑑" → "印鑑、本人確認書類"". Added and removed rules and columns, the hit policy and the
input expressions are listed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class CellChange:
    kind: str  # changed, added, removed
    rule: str  # "規則 3" (its number in the newer table) or "" for the table or a column
    rule_id: str | None
    column: str  # the column's label, or what changed ("ヒットポリシー")
    before: str | None
    after: str | None


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: Any) -> str:
    found = next((c for c in element if _local(c) == "text"), None)
    return (found.text or "").strip() if found is not None else ""


def _table(root: Any) -> dict[str, Any]:
    decision = next((d for d in root if _local(d) == "decision"), None)
    table = next((t for t in decision if _local(t) == "decisionTable"), None) if decision is not None else None
    if table is None:
        return {"hit": "", "columns": {}, "order": [], "rules": {}, "numbers": {}}
    columns = [c for c in table if _local(c) in ("input", "output")]
    labels = {c.get("id"): (c.get("label") or c.get("name") or c.get("id")) for c in columns}
    expressions = {c.get("id"): _text(next((e for e in c if _local(e) == "inputExpression"), c))
                   for c in columns if _local(c) == "input"}
    rules, numbers = {}, {}
    for number, rule in enumerate((r for r in table if _local(r) == "rule"), start=1):
        entries = [e for e in rule if _local(e) in ("inputEntry", "outputEntry")]
        cells = {c.get("id"): _text(e) for c, e in zip(columns, entries, strict=False)}
        description = next((d.text or "" for d in rule if _local(d) == "description"), "")
        rules[rule.get("id")] = {"cells": cells, "description": description.strip()}
        numbers[rule.get("id")] = number
    return {"hit": table.get("hitPolicy", "UNIQUE"), "columns": labels, "expressions": expressions,
            "order": [c.get("id") for c in columns], "rules": rules, "numbers": numbers}


def _summary(rule: dict[str, Any], labels: dict[str, str]) -> str:
    cells = "、".join(f"{labels.get(k, k)}={v}" for k, v in rule["cells"].items() if v and v != "-")
    return f"{rule['description']}（{cells}）" if rule["description"] else cells


def _columns(a: dict[str, Any], b: dict[str, Any]) -> list[CellChange]:
    found = []
    for column in b["order"]:
        if column not in a["columns"]:
            found.append(CellChange("added", "", None, f"列「{b['columns'][column]}」", None, b["columns"][column]))
        elif a["columns"][column] != b["columns"][column]:
            found.append(CellChange("changed", "", None, "列の見出し", a["columns"][column], b["columns"][column]))
        if column in a.get("expressions", {}) and a["expressions"][column] != b["expressions"].get(column):
            found.append(CellChange("changed", "", None, f"列「{b['columns'][column]}」の入力式",
                                    a["expressions"][column], b["expressions"].get(column)))
    return found + [CellChange("removed", "", None, f"列「{label}」", label, None)
                    for column, label in a["columns"].items() if column not in b["columns"]]


def _rules(a: dict[str, Any], b: dict[str, Any]) -> list[CellChange]:
    found = []
    for rule_id, rule in b["rules"].items():
        number = f"規則 {b['numbers'][rule_id]}"
        old = a["rules"].get(rule_id)
        if old is None:
            found.append(CellChange("added", number, rule_id, "規則", None, _summary(rule, b["columns"])))
            continue
        if old["description"] != rule["description"]:
            found.append(CellChange("changed", number, rule_id, "説明", old["description"], rule["description"]))
        found += [CellChange("changed", number, rule_id, b["columns"].get(column, column), old["cells"][column], value)
                  for column, value in rule["cells"].items()
                  if column in old["cells"] and old["cells"][column] != value]
    return found + [CellChange("removed", f"規則 {a['numbers'][rule_id]}（旧）", rule_id, "規則",
                               _summary(rule, a["columns"]), None)
                    for rule_id, rule in a["rules"].items() if rule_id not in b["rules"]]


def changes(before: Any, after: Any) -> list[CellChange]:
    """The changes from the DMN tree ``before`` to ``after``, in the newer table's order."""
    a, b = _table(before), _table(after)
    hit = [CellChange("changed", "", None, "ヒットポリシー", a["hit"], b["hit"])] if a["hit"] != b["hit"] else []
    return hit + _columns(a, b) + _rules(a, b)
