"""The documents of a visit: every application form of its procedures and the procedure guide, as stored PDFs.

A document is regenerated only when what went into it changed (``data_hash``: the values, the members, the
signature and the form's own files); otherwise the stored PDF is kept and reprinted. Who generated it and when
is stored with it; every generation and every download is in the operation log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import segno

from core import audit, users
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid
from forms import printforms, render, wareki
from forms.taskforms import LIBRARY
from workflows import access, runtime
from workflows.visit import context as ctx
from workflows.visit import protection, signatures
from workflows.visit.models import CaseDocument

DOCUMENT_ROLES = ("counter", "section", "manager")
STATE_LABELS = {"done": "本日手続済", "open": "手続が必要です"}


@dataclass(frozen=True)
class Planned:
    doc_key: str
    kind: str
    form_key: str | None
    title: str
    template: str
    render_context: dict[str, Any]


@cache
def _files_hash(key: str | None) -> str:
    """The hash of a form's own files and the shared print files (a changed template regenerates)."""
    digest = hashlib.sha256()
    paths = sorted(render.PRINT_DIR.glob("*")) + (sorted((LIBRARY / key).glob("*")) if key else [])
    for path in paths:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _data_hash(plan: Planned, signature_sha: str | None) -> str:
    payload = json.dumps({"c": plan.render_context, "s": signature_sha}, sort_keys=True, ensure_ascii=False,
                         default=str)
    return hashlib.sha256((_files_hash(plan.form_key) + payload).encode()).hexdigest()


def subject_ids(subject: Any) -> list[int]:
    """The resident ids a procedure is about, from its ``subject`` JSON (an id, a list, or a dict of them)."""
    if isinstance(subject, int):
        return [subject]
    if isinstance(subject, list):
        return [i for s in subject for i in subject_ids(s)]
    if isinstance(subject, dict):
        for key in ("resident_ids", "member_ids", "resident_id", "id", "members"):
            if key in subject:
                return subject_ids(subject[key])
    return []


def form_plans(form: printforms.PrintForm, visit: dict[str, Any], ids: list[int]) -> Iterator[Planned]:
    """One document per visit, or one per person the procedure is about (``per: member``)."""
    people = visit["members"] or ([visit["subject"]] if visit["subject"] else [])
    targets: list[Any] = [None]
    if form.per == "member":
        targets = [p for p in people if p["id"] in ids] or people[:1]
    for target in targets:
        local = {**visit, "subject": target} if target else visit
        errors: dict[str, Any] = {}
        try:
            values = printforms.values_for(form, local)
        except Invalid as err:
            errors = err.details.get("fields", {})
        if errors:
            who = f"（{target['name']}）" if target else ""
            raise Invalid(f"{form.title}{who}の記載事項が不足しています", details={"form": form.key, "fields": errors})
        suffix = f".{target['id']}" if target else ""
        yield Planned(doc_key=form.key + suffix, kind="form", form_key=form.key, title=form.title,
                      template=form.template,
                      render_context={**local, "form": form, "v": values, "fields": form.definition.fields,
                                      "shown": SHOWN_FIELDS})


# Fields the shared boxes of generic.html print already (so the generic field list leaves them out).
SHOWN_FIELDS = ("name", "name_kana", "birth_date", "postal_code", "address", "address_extra")


def _stored(case_id: int) -> dict[str, CaseDocument]:
    rows = db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id))
    return {d.doc_key: d for d in rows}


def _save(case_id: int, plan: Planned, pdf: bytes, *, data_hash: str, actor: Actor,
          existing: CaseDocument | None) -> CaseDocument:
    doc = existing or CaseDocument(case_id=case_id, doc_key=plan.doc_key, generation=0)
    doc.kind, doc.form_key, doc.title, doc.data_hash = plan.kind, plan.form_key, plan.title, data_hash
    doc.pdf, doc.size, doc.content_hash = pdf, len(pdf), hashlib.sha256(pdf).hexdigest()
    doc.generation, doc.created_by, doc.created_at = (doc.generation or 0) + 1, actor.username, utcnow()
    if existing is None:
        db.session.add(doc)
    return doc


def generate_visit(*, case_id: int, actor: Actor, status_url: str) -> list[CaseDocument]:
    """Every form of the case's procedures and the guide, stored; unchanged documents are kept as they are."""
    if not actor.has_role(*DOCUMENT_ROLES):
        raise Forbidden("書類を作成する権限がありません")
    case = runtime.get_case(case_id)
    _check_printable(case, actor)
    visit = ctx.visit_context(case)
    signature = signatures.get(case_id)
    plans: list[Planned] = []
    for proc in ctx.procedures(case_id):
        for key in proc.forms:
            plans.extend(form_plans(printforms.get(key), visit, subject_ids(proc.subject_data)))
    plans.append(_guide_plan(case_id, visit, status_url))
    stored, sig_uri = _stored(case_id), render.data_uri(signature.png) if signature else None
    hashes = {p.doc_key: _data_hash(p, signature.sha256 if signature and p.kind == "form" else None) for p in plans}
    stale = [p for p in plans if p.doc_key not in stored or stored[p.doc_key].data_hash != hashes[p.doc_key]]
    pdfs = render.html_to_pdfs([render.render_html(p.template, **p.render_context, signature=sig_uri) for p in stale])
    fresh = {p.doc_key: _save(case_id, p, pdf, data_hash=hashes[p.doc_key], actor=actor,
                              existing=stored.get(p.doc_key)) for p, pdf in zip(stale, pdfs, strict=True)}
    made = [fresh.get(p.doc_key) or stored[p.doc_key] for p in plans]
    db.session.flush()
    audit.record(actor=actor, action="documents.generate", target_type="case", target_id=case_id,
                 details={"documents": [d.doc_key for d in made], "resident_id": case.resident_id})
    return made


def _check_printable(case: Any, actor: Actor) -> None:
    """Nothing is printed while a 支援措置 certificate request waits for (or was refused by) the supervisor.

    The Conflict rolls the request back; ``core.tx.atomic`` then logs it as ``protection.print_refused``."""
    protection.assert_printable(case=case, actor=actor)


def _guide_plan(case_id: int, visit: dict[str, Any], status_url: str) -> Planned:
    sections = {s.code: s.name for s in users.list_sections()}
    rows = []
    for proc in ctx.procedures(case_id):
        forms = [printforms.get(k) for k in proc.forms]
        guide = next((f.guide for f in forms if f.guide), {})
        rows.append({"name": proc.name, "section": sections.get(proc.section_code, proc.section_code),
                     "where": guide.get("where") or sections.get(proc.section_code, ""),
                     "due": wareki.to_wareki(proc.due_date) if proc.due_date else "",
                     "state": proc.state, "state_label": STATE_LABELS.get(proc.state, proc.state),
                     "bring": [b for f in forms for b in f.guide.get("bring", [])],
                     "note": guide.get("note", "")})
    qr = segno.make(status_url, error="m").svg_data_uri(scale=4, border=2)
    return Planned(doc_key="guide", kind="guide", form_key=None, title="手続案内書", template="guide.html",
                   render_context={"case": visit["case"], "today": visit["today"], "city": visit["city"],
                                   "procedures": rows, "qr": qr, "status_url": status_url})


def list_for_case(*, case_id: int, actor: Actor | None = None) -> list[CaseDocument]:
    """The stored documents of a case (without reading them: no log entry); with ``actor``, those they may see."""
    if actor is None:
        runtime.get_case(case_id)
    else:
        access.case(actor=actor, case_id=case_id)
    docs = list(db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id)
                                   .order_by(CaseDocument.id)))
    return docs if actor is None else access.visible_documents(actor=actor, docs=docs)


def get_document(*, document_id: int, actor: Actor) -> CaseDocument:
    """One stored PDF for reprinting; the view of personal data is logged."""
    if not actor.has_role(*DOCUMENT_ROLES):
        raise Forbidden("書類を閲覧する権限がありません")
    doc = access.document(actor=actor, document_id=document_id)
    audit.record(actor=actor, action="document.view", target_type="document", target_id=doc.id,
                 details={"case_id": doc.case_id, "doc_key": doc.doc_key})
    return doc
