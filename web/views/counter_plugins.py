"""Where the counter pages meet the features other modules provide (procedures, printed forms, signatures).

Each helper looks for its provider and returns what the page needs, or an empty answer when that feature is not
installed — the page then shows that step as not available instead of failing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from flask import url_for
from werkzeug.routing import BuildError

from workflows.models import Case


@dataclass(frozen=True)
class Link:
    label: str
    url: str


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def procedures(case: Case) -> list[Any]:
    """The case's determined procedures (issue 4's ``case_procedures``), removed ones excluded."""
    models = _module("workflows.determination.models")
    if models is None:
        return []
    return [p for p in models.list_for_case(case.id) if p.state != "removed"]


def _link(label: str, endpoint: str, **values: Any) -> Link | None:
    try:
        return Link(label, url_for(endpoint, **values))
    except BuildError:
        return None


def for_case(case: Case) -> list[Link]:
    """Links to the steps other features provide for this case (procedure review, forms, signature)."""
    candidates = [
        ("手続の確認・追加・削除", "determination.review", {"case_id": case.id}),
        ("申請書のプレビュー・印刷", "documents.case_documents", {"case_id": case.id}),
        ("署名（タブレット）", "documents.signature", {"case_id": case.id}),
    ]
    return [link for label, endpoint, values in candidates if (link := _link(label, endpoint, **values))]
