"""Test set-up for the sections' side of a visit: the counter's hand-over taken as done.

A visit's procedure tasks wait for the counter's hand-over (``runtime.waits_for_hand_over``), which needs the
forms' answers, the documents and the resident's signature. Tests about what the sections do with a procedure
start from a handed-over visit without walking the counter's steps (tests/web/test_counter_path.py and the
scenarios walk them); tests/workflows/test_hand_over_gate.py checks the gate itself.
"""

from __future__ import annotations

from sqlalchemy import update

from core.db import db
from workflows.models import Case


def as_handed_over(case_id: int) -> None:
    """Release the visit's procedures to the sections, as the counter's hand-over does, and commit."""
    db.session.execute(update(Case).where(Case.id == case_id).values(awaiting_hand_over=False))
    db.session.commit()
