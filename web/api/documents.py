"""Documents of a case: generate the visit's forms and guide, list them, fetch one PDF (the view is logged)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from core.tx import atomic
from web.api.marks import ProtectionMarked
from web.auth import current_actor, roles_required
from web.links import status_url
from workflows import access
from workflows.visit import documents
from workflows.visit.models import CaseDocument

URL_PREFIX = ""
blp = Blueprint("documents_api", __name__, description="Generated PDFs: application forms and the procedure guide")


class DocumentSchema(ProtectionMarked):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    doc_key = ma.fields.String()
    kind = ma.fields.String()
    form_key = ma.fields.String(allow_none=True)
    title = ma.fields.String()
    content_hash = ma.fields.String()
    size = ma.fields.Integer()
    generation = ma.fields.Integer()
    subject_resident_ids = ma.fields.List(ma.fields.Integer(), attribute="subject_ids",
                                          metadata={"description": "the people the document is for"})
    created_by = ma.fields.String()
    created_at = ma.fields.DateTime()


@blp.route("/cases/<int:case_id>/documents", methods=["POST"])
@roles_required("counter", "section")
@blp.response(201, DocumentSchema(many=True))
def generate(case_id: int) -> list[CaseDocument]:
    actor = current_actor()
    made = atomic(lambda: documents.generate_visit(case_id=case_id, actor=actor, status_url=status_url(case_id)))
    return access.visible_documents(actor=actor, docs=made)


@blp.route("/cases/<int:case_id>/documents")
@roles_required("counter", "section", "manager")
@blp.response(200, DocumentSchema(many=True))
def list_documents(case_id: int) -> list[CaseDocument]:
    return documents.list_for_case(case_id=case_id, actor=current_actor())


@blp.route("/documents/<int:document_id>")
@roles_required("counter", "section", "manager")
@blp.response(200, description="The PDF", content_type="application/pdf")
def get_document(document_id: int) -> Response:
    actor = current_actor()
    doc = atomic(lambda: documents.get_document(document_id=document_id, actor=actor))
    return Response(doc.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{doc.doc_key}.pdf"',
                             "Cache-Control": "no-store"})
