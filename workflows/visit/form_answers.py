"""Where the counter's answers for a visit's printed forms are kept: one row per case, per visit and per person.

``stored`` reads them as ``{"visit": {...}, "members": {"<resident id>": {...}}}``; ``merge`` adds to them (the
row's version guards two clerks saving the same visit at once, like every versioned row).
"""

from __future__ import annotations

import json
from typing import Any

from core.db import db, utcnow
from workflows.visit.models import CaseFormAnswers


def _row(case_id: int) -> CaseFormAnswers | None:
    return db.session.scalar(db.select(CaseFormAnswers).where(CaseFormAnswers.case_id == case_id))


def stored(case_id: int) -> dict[str, Any]:
    """The visit's form answers (empty dicts when none were given)."""
    row = _row(case_id)
    data = json.loads(row.answers) if row is not None else {}
    members = data.get("members") if isinstance(data.get("members"), dict) else {}
    return {"visit": dict(data.get("visit") or {}), "members": {str(k): dict(v) for k, v in members.items()}}


def merge(*, case_id: int, visit: dict[str, Any], members: dict[str, dict[str, Any]], by: str) -> None:
    """Add ``visit`` and each person's ``members`` answers over the stored ones (flushed)."""
    current = stored(case_id)
    current["visit"].update(visit)
    for key, values in members.items():
        current["members"].setdefault(str(key), {}).update(values)
    row = _row(case_id) or CaseFormAnswers(case_id=case_id)
    row.answers = json.dumps(current, ensure_ascii=False, sort_keys=True, default=str)
    row.updated_by, row.updated_at = by, utcnow()
    db.session.add(row)
    db.session.flush()
