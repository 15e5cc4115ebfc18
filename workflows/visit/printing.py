"""Laying out a visit's documents as PDF after the response, from the page fixed at generation.

WeasyPrint takes 40–70 ms of CPU per form, a family's 転入 about 400 ms: done inside the request, it held a
worker and both cores while fifty terminals waited (``bench/load.py``: p95 of the documents 2.6–3.7 s, and every
other endpoint's tail behind it). So when the app defers it (``render_in_background``, production's gunicorn
settings), generation stores each new document's **filled HTML** — what it says is fixed at that moment, the
signature included — and leaves ``pdf``, ``size`` and ``content_hash`` empty; the ids are noted on the session
and, once the request has committed, ``web.printer`` lays them out in a thread of the worker (the pool of
:mod:`forms.render`). Whoever reads a document before that renders it themselves (:func:`ensure_rendered`), so
a document is never served empty and a worker that dies with ids in its queue loses nothing: the HTML is in the
database. Storing a PDF is guarded by the generation's ``data_hash``, so a layout that finishes after the
document was generated again (a new answer, the signature) is dropped, not stored over the newer one.

The guide goes first (:data:`FIRST`): the clerk prints it for the resident seconds after the hand-over, while the
forms are read by the sections later. Laid out last in its visit's batch, behind the forms at the lower priority,
one guide print in six under fifty terminals found it not yet laid out and laid it out in the request
(``bench/load.py``: 36 of 198, p99 210 ms); as a batch of its own, ahead of any forms queued, it is ready first
(17 of 194 left: guides made again at the print because a section finished a procedure meanwhile — the guide shows
each procedure's state — which the print lays out then, as it should).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import db
from forms import render
from workflows.visit.models import CaseDocument

PENDING = "madoguchi.documents_to_render"  # the session's info key: ids to lay out once it commits
FIRST = "madoguchi.documents_to_render_first"  # …and the ones to lay out before them (the guide)
_later = False


def configure(*, later: bool) -> None:
    """Whether generation leaves the layout for after the response (set by the app factory from the settings)."""
    global _later
    _later = later


def later() -> bool:
    return _later


def note_pending(document_ids: Iterable[int], *, first: bool = False) -> None:
    """Remember on the session which documents its commit leaves to be laid out; ``first``: ahead of the others
    (a document printed at once)."""
    db.session.info.setdefault(FIRST if first else PENDING, set()).update(document_ids)


def take_pending(session: Session) -> list[tuple[bool, list[int]]]:
    """The batches a committed (or rolled back) session noted, forgotten from it: ``(first, ids)``, the batch to
    lay out first before the others."""
    batches = [(True, sorted(session.info.pop(FIRST, set()))), (False, sorted(session.info.pop(PENDING, set())))]
    return [(first, ids) for first, ids in batches if ids]


def laid_out(pdf: bytes) -> dict[str, object]:
    """A document's columns once its PDF is laid out: the PDF, its size and hash, and no page left to render."""
    return {"pdf": pdf, "size": len(pdf), "content_hash": hashlib.sha256(pdf).hexdigest(), "html": None}


def _store(doc_id: int, data_hash: str, pdf: bytes) -> bool:
    """Store ``pdf`` as the document's, unless it was rendered meanwhile or generated again (flushed)."""
    result = db.session.execute(
        update(CaseDocument)
        .where(CaseDocument.id == doc_id, CaseDocument.data_hash == data_hash, CaseDocument.content_hash.is_(None))
        .values(**laid_out(pdf))
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def render_pending(document_ids: Iterable[int]) -> int:
    """Lay out those of ``document_ids`` still waiting (in parallel, forms.render's background pool, at its lower
    priority); how many were stored."""
    ids = list(document_ids)
    if not ids:
        return 0
    rows = db.session.execute(select(CaseDocument.id, CaseDocument.data_hash, CaseDocument.html).where(
        CaseDocument.id.in_(ids), CaseDocument.content_hash.is_(None), CaseDocument.html.is_not(None))).all()
    pdfs = render.html_to_pdfs([row.html for row in rows], background=True)
    return sum(_store(row.id, row.data_hash, pdf) for row, pdf in zip(rows, pdfs, strict=True))


def ensure_rendered(doc: CaseDocument) -> CaseDocument:
    """``doc`` with its PDF: laid out now if the background has not done it yet (then stored, flushed)."""
    for _attempt in range(3):
        if doc.rendered:
            return doc
        html, data_hash = doc.html, doc.data_hash
        if html is not None and _store(doc.id, data_hash, render.html_to_pdf(html)):
            db.session.refresh(doc)
            return doc
        db.session.refresh(doc)  # rendered by the background meanwhile, or generated again: read it again
    raise RuntimeError(f"document {doc.id} could not be laid out")  # three generations in a row: a bug
