"""The edge's transaction: run a unit of work, commit once, retry a lost optimistic race.

Services only flush. The edges commit: a request or a command through :func:`atomic`, a scheduled job through
its runner (``integrations.scheduler.runner``), both with :func:`commit` and :func:`rollback`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from core import audit
from core.db import db
from core.errors import Conflict, DomainError
from core.i18n import N_

T = TypeVar("T")
log = logging.getLogger(__name__)


def atomic(work: Callable[[], T], *, retries: int = 2) -> T:
    """Run ``work`` and commit. A concurrent change to the same rows (a stale version) rolls back and
    runs ``work`` again on fresh data, whose own checks then decide (e.g. "already completed");
    after ``retries`` it becomes a Conflict. Any other error rolls back and propagates; a refusal that carries
    an ``audit`` entry (see :class:`core.errors.DomainError`) is logged after the rollback, in its own
    transaction (so it is kept although the work is not, and no write lock is held while it is written)."""
    for attempt in range(retries + 1):
        try:
            result = work()
            commit()
            return result
        except StaleDataError as err:
            rollback()
            if attempt == retries:
                raise Conflict(N_("他の職員が同時に更新しました。画面を更新してください")) from err
        except BaseException as err:
            rollback()
            if isinstance(err, DomainError) and err.audit:
                _log_refusal(err.audit)
            raise
    raise AssertionError("unreachable")


def commit() -> None:
    """End the unit of work: every commit of the application goes through here (or :func:`atomic`)."""
    db.session.commit()


def rollback() -> None:
    """Undo the unit of work."""
    db.session.rollback()


def _log_refusal(entry: dict[str, Any]) -> None:
    try:
        audit.record_independently(**entry)
    except Exception:  # noqa: BLE001 - failing to log must not hide the refusal itself
        log.exception("could not log a refusal after rollback")
