"""The worker's print thread: a visit's documents are laid out after the response that generated them.

With ``render_in_background`` (production's gunicorn settings), generation stores each new document's filled page
and notes its id on the session (:mod:`workflows.visit.printing`); when that session commits, the ids go to a
queue that one thread per worker process serves, in its own app context and one transaction per batch (its commit
point, as a job's). A batch noted ``first`` (the guide, printed at once) is served ahead of the batches waiting.
The thread is started on the first commit in the process, so a forked gunicorn worker starts its own; a render
that fails is logged and left to whoever reads the document next (it renders on read). Rolled back work forgets
its ids.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.db import db
from core.tx import commit, rollback
from workflows.visit import printing

log = logging.getLogger(__name__)
# (0 for a batch to lay out first, else 1; the order it came in; the app; its ids)
_queue: queue.PriorityQueue[tuple[int, int, Flask, list[int]]] = queue.PriorityQueue()
_order = itertools.count()
_lock = threading.Lock()
_thread_pid: int | None = None  # the process whose thread serves the queue (a forked worker starts its own)


def install(app: Flask) -> None:
    """Defer the layout when the settings say so; the session hooks are installed once per process."""
    printing.configure(later=app.config["MADOGUCHI"].render_in_background)
    if not event.contains(Session, "after_commit", _committed):
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _rolled_back)


def _committed(session: Session) -> None:
    batches = printing.take_pending(session)
    if batches:
        _start()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        for first, ids in batches:
            _queue.put((0 if first else 1, next(_order), app, ids))


def _rolled_back(session: Session) -> None:
    printing.take_pending(session)


def _start() -> None:
    global _thread_pid
    with _lock:
        if _thread_pid != os.getpid():
            threading.Thread(target=_serve, name="madoguchi-printer", daemon=True).start()
            _thread_pid = os.getpid()


def _serve() -> None:
    while True:
        _priority, _seq, app, ids = _queue.get()
        with app.app_context():
            try:
                printing.render_pending(ids)
                commit()
            except Exception:  # noqa: BLE001 - the page is stored; reading the document renders it
                rollback()
                log.exception("documents %s: layout after the response failed; they render when read", ids)
            finally:
                db.session.remove()
                _queue.task_done()


def wait_idle() -> None:
    """Block until every queued layout is done (tests, and a graceful stop)."""
    _queue.join()
