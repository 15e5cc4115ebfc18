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

from core import audit
from core.actor import Actor
from core.db import db, utcnow
from core.errors import Forbidden, Invalid
from core.i18n import N_
from forms import printforms, render
from forms.taskforms import LIBRARY
from workflows import access, runtime
from workflows.visit import context as ctx
from workflows.visit import guide, guidetexts, printing, protection, signatures
from workflows.visit import notifier as notifier_rules
from workflows.visit.models import CaseDocument

DOCUMENT_ROLES = ("counter", "section", "manager")
HANDED_OVER = "handed_over_at"  # the case data key the hand-over sets (workflows.visit.answers)


@dataclass(frozen=True)
class Planned:
    doc_key: str
    kind: str
    form_key: str | None
    title: str
    template: str
    render_context: dict[str, Any]
    subject_ids: tuple[int, ...] = ()


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


def target_context(visit: dict[str, Any], target: dict[str, Any] | None,
                   form: printforms.PrintForm | None = None) -> dict[str, Any]:
    """The render context of one document: ``target`` (the person of a per-person form, or None for a household
    form) as ``subject``, that person's own answers over the visit's, and the 届出人's relation to them
    (``applicant.relation_to_subject``: 本人 on the notifier's own forms).

    A household form that names one person in its 氏名 box (the 請求者 of 児童手当, mapped to ``subject.name``)
    prints the relation to that person; one that only lists the ticked members prints 本人 when the notifier is
    among them."""
    notifier = visit.get("notifier") or {}
    applicant = visit["applicant"]
    if target is not None:
        answers = {**visit["answers"], **visit.get("member_answers", {}).get(str(target.get("id")), {})}
        relation = notifier_rules.relation_to(notifier, target, members=[applicant]) if notifier else "本人"
        local = {**visit, "subject": target, "answers": answers}
    else:
        names_one = form is not None and "subject.name" in form.mapping.values()
        subjects = {visit["subject"].get("id")} if names_one else {p.get("id") for p in visit["members"]}
        mine = applicant.get("member") and applicant.get("id") in subjects
        relation = "本人" if mine or not notifier else notifier_rules.relation_to(notifier, visit["subject"],
                                                                               members=[applicant])
        local = dict(visit)
    # ``person.<key>``: the person's own answer (on a household form, the visit's), shared by their forms.
    return {**local, "person": local["answers"], "applicant": {**applicant, "relation_to_subject": relation}}


def form_plans(form: printforms.PrintForm, visit: dict[str, Any], ids: list[int]) -> Iterator[Planned]:
    """One document per visit, or one per person the procedure is about (``per: member``; a procedure that
    names nobody is the visit's resident's). A visit's document lists the ticked members its procedure concerns
    (``ids``): all of them on the 住民異動届, the children on the 児童手当 認定請求書 — never the claimant as a
    child."""
    targets: list[Any] = [None]
    if form.per == "member":
        targets = [p for p in visit["members"] if p["id"] in ids] or [visit["subject"]]
    concerned = [p for p in visit["members"] if p["id"] in ids] if form.per != "member" else []
    scoped = {**visit, "members": concerned} if concerned else visit  # 児童手当's children, not the claimant
    for target in targets:
        local = target_context(scoped, target, form)
        errors: dict[str, Any] = {}
        try:
            values = printforms.values_for(form, local)
        except Invalid as err:
            errors = err.details.get("fields", {})
        if errors:
            who = f"（{target['name']}）" if target else ""
            raise Invalid(N_("{form}{who}の記載事項が不足しています", form=form.title, who=who),
                          details={"form": form.key, "fields": errors})
        suffix = f".{target['id']}" if target else ""
        people = [target["id"]] if target else [p["id"] for p in local["members"]]
        yield Planned(doc_key=form.key + suffix, kind="form", form_key=form.key, title=form.title,
                      template=form.template, subject_ids=tuple(i for i in people if i is not None),
                      render_context={**local, "form": form, "v": values, "fields": form.definition.fields,
                                      "shown": SHOWN_FIELDS})


# Fields the shared boxes of generic.html print already (so the generic field list leaves them out).
SHOWN_FIELDS = ("name", "name_kana", "birth_date", "postal_code", "address", "address_extra")


def _stored(case_id: int) -> dict[str, CaseDocument]:
    rows = db.session.scalars(db.select(CaseDocument).where(CaseDocument.case_id == case_id))
    return {d.doc_key: d for d in rows}


def _save(case_id: int, plan: Planned, pdf: bytes | None, html: str, *, data_hash: str, actor: Actor,
          existing: CaseDocument | None) -> CaseDocument:
    """A new generation of the document: its PDF, or (laid out later, :mod:`printing`) its filled page."""
    doc = existing or CaseDocument(case_id=case_id, doc_key=plan.doc_key, generation=0)
    doc.kind, doc.form_key, doc.title, doc.data_hash = plan.kind, plan.form_key, plan.title, data_hash
    doc.subject_ids_json = json.dumps(list(plan.subject_ids))
    columns = {"pdf": None, "size": None, "content_hash": None, "html": html} if pdf is None else printing.laid_out(pdf)
    for name, value in columns.items():
        setattr(doc, name, value)
    doc.generation, doc.created_by, doc.created_at = (doc.generation or 0) + 1, actor.username, utcnow()
    if existing is None:
        db.session.add(doc)
    return doc


def _guide_plan(case_id: int, visit: dict[str, Any], status_url: str, language: str = "ja") -> Planned:
    """The guide; in another language (やさしい日本語 ``easy``, English ``en``) a document of its own beside it."""
    return Planned(doc_key="guide" if language == "ja" else f"guide-{language}", kind="guide", form_key=None,
                   title=guidetexts.texts(language)["title"], template=guide.TEMPLATE,
                   subject_ids=tuple(p["id"] for p in visit["members"] if p.get("id") is not None),
                   render_context=guide.render_context(case_id=case_id, visit=visit, status_url=status_url,
                                                       language=language))


def _render(case_id: int, plans: list[Planned], actor: Actor) -> list[CaseDocument]:
    """Store each planned document whose inputs changed: its PDF now, or its page to be laid out after the
    response when the app defers the layout (:mod:`workflows.visit.printing`)."""
    signature = signatures.get(case_id)
    stored, sig_uri = _stored(case_id), render.data_uri(signature.png) if signature else None
    hashes = {p.doc_key: _data_hash(p, signature.sha256 if signature and p.kind == "form" else None) for p in plans}
    stale = [p for p in plans if p.doc_key not in stored or stored[p.doc_key].data_hash != hashes[p.doc_key]]
    htmls = [render.render_html(p.template, **p.render_context, signature=sig_uri) for p in stale]
    later = printing.later()
    pdfs: list[bytes | None] = [None] * len(stale) if later else list(render.html_to_pdfs(htmls))
    fresh = {p.doc_key: _save(case_id, p, pdf, html, data_hash=hashes[p.doc_key], actor=actor,
                              existing=stored.get(p.doc_key)) for p, pdf, html in zip(stale, pdfs, htmls, strict=True)}
    if later and fresh:
        db.session.flush()
        printing.note_pending((d.id for d in fresh.values() if d.kind == "guide"), first=True)
        printing.note_pending(d.id for d in fresh.values() if d.kind != "guide")
    return [fresh.get(p.doc_key) or stored[p.doc_key] for p in plans]


def generate_visit(*, case_id: int, actor: Actor, status_url: str) -> list[CaseDocument]:
    """Every form of the case's procedures (per person where the form is) and the guide, stored; unchanged
    documents are kept as they are. Before the hand-over, a form no procedure prints any more (a procedure
    withdrawn, a person no longer concerned) is withdrawn too; after it, what was handed over stays."""
    if not actor.has_role(*DOCUMENT_ROLES):
        raise Forbidden(N_("書類を作成する権限がありません"))
    case = runtime.get_case(case_id)
    _check_printable(case, actor)
    visit = ctx.visit_context(case)
    plans: list[Planned] = []
    for proc in ctx.procedures(case_id):
        for key in proc.forms:
            plans.extend(form_plans(printforms.get(key), visit, subject_ids(proc.subject_data)))
    plans.append(_guide_plan(case_id, visit, status_url))
    made = _render(case_id, plans, actor)
    keep = {p.doc_key for p in plans}
    handed_over = runtime.case_data(case).get(HANDED_OVER)
    withdrawn = [] if handed_over else [d for d in _stored(case_id).values() if d.doc_key not in keep]
    for doc in withdrawn:
        db.session.delete(doc)
    db.session.flush()
    audit.record(actor=actor, action="documents.generate", target_type="case", target_id=case_id,
                 details={"documents": [d.doc_key for d in made], "withdrawn": [d.doc_key for d in withdrawn],
                          "resident_id": case.resident_id})
    return made


def guide_document(*, case_id: int, actor: Actor, status_url: str, language: str = "ja") -> CaseDocument:
    """The visit's 手続案内書 as it stands now (rendered again only when something in it changed), in
    ``language`` (ja; やさしい日本語 ``easy`` or English ``en`` when the visitor asks)."""
    if not actor.has_role(*DOCUMENT_ROLES):
        raise Forbidden(N_("書類を作成する権限がありません"))
    case = runtime.get_case(case_id)
    _check_printable(case, actor)
    if language not in guidetexts.LANGUAGES:
        raise Invalid(N_("案内書の言語 {language} はありません", language=language), details={"guide": language})
    [doc] = _render(case_id, [_guide_plan(case_id, ctx.visit_context(case), status_url, language)], actor)
    db.session.flush()
    return doc


def printed_guide(*, case_id: int, actor: Actor, status_url: str, language: str = "ja") -> CaseDocument:
    """The guide as :func:`guide_document` makes it, with its PDF, for printing now (the view logged): one unit,
    so a guide made again is laid out here, once, and not also queued for the background."""
    doc = guide_document(case_id=case_id, actor=actor, status_url=status_url, language=language)
    return get_document(document_id=doc.id, actor=actor)


def _check_printable(case: Any, actor: Actor) -> None:
    """Nothing is printed while a 支援措置 certificate request waits for (or was refused by) the supervisor.

    The Conflict rolls the request back; ``core.tx.atomic`` then logs it as ``protection.print_refused``."""
    protection.assert_printable(case=case, actor=actor)


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
    """One stored PDF for reprinting (laid out now if the background has not yet); the view is logged."""
    if not actor.has_role(*DOCUMENT_ROLES):
        raise Forbidden(N_("書類を閲覧する権限がありません"))
    doc = printing.ensure_rendered(access.document(actor=actor, document_id=document_id))
    audit.record(actor=actor, action="document.view", target_type="document", target_id=doc.id,
                 details={"case_id": doc.case_id, "doc_key": doc.doc_key})
    return doc
