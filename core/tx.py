"""The edge's transaction: run a unit of work, commit once, retry a lost optimistic race."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm.exc import StaleDataError

from core.db import db
from core.errors import Conflict

T = TypeVar("T")


def atomic(work: Callable[[], T], *, retries: int = 2) -> T:
    """Run ``work`` and commit. A concurrent change to the same rows (a stale version) rolls back and
    runs ``work`` again on fresh data, whose own checks then decide (e.g. "already completed");
    after ``retries`` it becomes a Conflict. Any other error rolls back and propagates."""
    for attempt in range(retries + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except StaleDataError as err:
            db.session.rollback()
            if attempt == retries:
                raise Conflict("他の職員が同時に更新しました。画面を更新してください (concurrent update)") from err
        except BaseException:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")
