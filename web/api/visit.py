"""The whole counter visit through the API (API.md, v1.1): a tablet app, a pre-entry front end or a national
service runs a visit without the pages, step for step with them and through the same services.

questions of a task (with options, per person) → procedures (for whom, why) → the printed forms' questions and
answers → documents (``web.api.documents``) → signature → hand-over → the 手続案内書 PDF.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from core.errors import Invalid
from core.i18n import N_
from core.tx import atomic
from forms.taskforms import FormField
from residents import protection
from web.api.documents import DocumentSchema
from web.auth import current_actor, roles_required
from web.links import status_url
from workflows import access
from workflows.determination import interview
from workflows.visit import answers, documents, eventdate, guide, signatures
from workflows.visit.models import CaseDocument

URL_PREFIX = ""
blp = Blueprint("visit_api", __name__, description="The counter visit: questions, procedures, forms, signature, "
                                                   "hand-over, guide")


def _options(f: FormField) -> list[dict[str, Any]] | None:
    if f.type == "choice":
        return [{"value": v, "label": label} for v, label in f.choices]
    if f.type == "boolean":
        return [{"value": True, "label": "はい"}, {"value": False, "label": "いいえ"}]
    return None


class ChoiceOptionSchema(ma.Schema):
    value = ma.fields.Raw()
    label = ma.fields.String()


class FieldShape(ma.Schema):
    """What a client needs to ask a question: its label, type, constraints and, for a choice, the options."""

    label = ma.fields.Function(lambda q: q.field.label)
    type = ma.fields.Function(lambda q: q.field.type)
    options = ma.fields.Function(lambda q: _options(q.field), allow_none=True)
    format = ma.fields.Function(lambda q: q.field.format, allow_none=True)
    max_length = ma.fields.Function(lambda q: q.field.max_length, allow_none=True)
    min = ma.fields.Function(lambda q: q.field.min, allow_none=True)
    max = ma.fields.Function(lambda q: q.field.max, allow_none=True)
    member = ma.fields.Integer(allow_none=True)
    member_name = ma.fields.String()


class TaskQuestionSchema(FieldShape):
    """One question: a per-person one carries ``member`` (the resident id); answer it under
    ``data.members["<member>"]["<name>"]``, the others under ``data["<name>"]``."""

    name = ma.fields.Function(lambda q: q.field.name)
    required = ma.fields.Function(lambda q: q.field.required)


class AtLeastOneSchema(ma.Schema):
    """Boolean questions of which one must be ticked (a 証明書交付: at least one certificate)."""

    fields = ma.fields.List(ma.fields.String())
    message = ma.fields.String()


class TaskQuestionsSchema(ma.Schema):
    form = ma.fields.String(allow_none=True)
    fields = ma.fields.List(ma.fields.Nested(TaskQuestionSchema))
    skipped = ma.fields.List(ma.fields.String())
    at_least_one = ma.fields.List(ma.fields.Nested(AtLeastOneSchema))


class VisitSubjectSchema(ma.Schema):
    resident_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()


class VisitProcedureSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    section = ma.fields.String()
    section_name = ma.fields.String()
    where = ma.fields.String(metadata={"description": "the counter (窓口) the guide names"})
    due_date = ma.fields.Date(allow_none=True)
    due = ma.fields.String(metadata={"description": "the due date in 和暦"})
    bring = ma.fields.List(ma.fields.String())
    reason = ma.fields.String(metadata={"description": "why: the decision rule's annotation (readable text)"})
    rule = ma.fields.String(metadata={"description": "the rule that fired (decision#rule), or manual"})
    subjects = ma.fields.List(ma.fields.Nested(VisitSubjectSchema))
    state = ma.fields.String()
    forms = ma.fields.List(ma.fields.String())
    task_id = ma.fields.Integer(allow_none=True)


class FormQuestionSchema(FieldShape):
    """A question of the printed forms: ``key`` under ``answers`` — or under ``members["<member>"]`` when the
    question is that person's (``member`` set); ``name`` is how the page submits it."""

    key = ma.fields.String()
    name = ma.fields.String()
    required = ma.fields.Boolean()
    default = ma.fields.Raw(allow_none=True)
    forms = ma.fields.List(ma.fields.String())


class FormQuestionsQuery(ma.Schema):
    all = ma.fields.Boolean(load_default=False, metadata={"description": "also the questions already answered"})


class FormAnswers(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    answers = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=100)), load_default=dict)
    members = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=12)),
                             values=ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(max=100))),
                             load_default=dict)


class FormAnswersResult(ma.Schema):
    stored = ma.fields.List(ma.fields.String())
    remaining = ma.fields.List(ma.fields.Nested(FormQuestionSchema))


class SignatureBody(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    png_base64 = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=800_000))


class SignatureSchema(ma.Schema):
    case_id = ma.fields.Integer()
    sha256 = ma.fields.String()
    taken_by = ma.fields.String()
    taken_at = ma.fields.DateTime()


class EventDateBody(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    event_date = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))


@blp.route("/tasks/<int:task_id>/questions")
@roles_required("counter", "section", "manager")
@blp.response(200, TaskQuestionsSchema)
def task_questions(task_id: int) -> dict[str, Any]:
    """The fields the task still asks, with the options of every choice and whose a per-person question is."""
    return interview.questions(task_id=task_id, actor=current_actor())


def _visit(case_id: int, screen: str) -> Any:
    actor = current_actor()
    case = access.case(actor=actor, case_id=case_id)
    atomic(lambda: protection.view_case(actor=actor, case=case, screen=screen))
    return case


@blp.route("/cases/<int:case_id>/procedures")
@roles_required("counter", "section", "manager")
@blp.response(200, VisitProcedureSchema(many=True))
def case_procedures(case_id: int) -> list[guide.ProcedureView]:
    """The visit's procedures: for whom, why (the rule's text, with the rule), section, due date, what to bring."""
    _visit(case_id, "api.procedures")
    return guide.views(case_id)


@blp.route("/cases/<int:case_id>/form-questions")
@roles_required("counter")
@blp.arguments(FormQuestionsQuery, location="query")
@blp.response(200, FormQuestionSchema(many=True))
def form_questions(query: dict[str, Any], case_id: int) -> list[answers.Question]:
    """What the printed forms still need, asked once — per person where the form is per person."""
    _visit(case_id, "api.form_questions")
    return answers.questions(case_id=case_id, everything=query["all"])


@blp.route("/cases/<int:case_id>/form-answers", methods=["PUT"])
@roles_required("counter")
@blp.arguments(FormAnswers)
@blp.response(200, FormAnswersResult)
def form_answers(body: dict[str, Any], case_id: int) -> dict[str, Any]:
    """Store answers for the printed forms; 422 names the field (a key no form asks is refused too)."""
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    stored = atomic(lambda: answers.save_answers(case_id=case_id, answers=body["answers"], members=body["members"],
                                                 actor=actor))
    return {"stored": stored, "remaining": answers.questions(case_id=case_id)}


@blp.route("/cases/<int:case_id>/event-date", methods=["PUT"])
@roles_required("counter")
@blp.arguments(EventDateBody)
@blp.response(200, VisitProcedureSchema(many=True))
def event_date(body: dict[str, Any], case_id: int) -> list[guide.ProcedureView]:
    """Correct the event date before the hand-over: procedures and due dates are determined again (409 after)."""
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    atomic(lambda: eventdate.change(case_id=case_id, typed=body["event_date"], actor=actor))
    return guide.views(case_id)


@blp.route("/cases/<int:case_id>/signature", methods=["POST"])
@roles_required("counter")
@blp.arguments(SignatureBody)
@blp.response(201, SignatureSchema)
def signature(body: dict[str, Any], case_id: int) -> Any:
    """The resident's signature (a PNG, base64) for every form of the visit."""
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    try:
        png = base64.b64decode(body["png_base64"], validate=True)
    except (binascii.Error, ValueError) as err:
        raise Invalid(N_("署名データが base64 ではありません"), details={"fields": {"png_base64": ["base64"]}}) from err
    return atomic(lambda: signatures.save(case_id=case_id, png=png, actor=actor))


@blp.route("/cases/<int:case_id>/hand-over", methods=["POST"])
@roles_required("counter")
@blp.response(200, DocumentSchema(many=True))
def hand_over(case_id: int) -> list[CaseDocument]:
    """Hand the signed visit over to the sections (the documents are made again with the signature)."""
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    return atomic(lambda: answers.hand_over(case_id=case_id, actor=actor, status_url=status_url(case_id)))


@blp.route("/cases/<int:case_id>/guide")
@roles_required("counter", "manager")
@blp.response(200, description="The 手続案内書 (PDF), the document the counter's page shows and prints",
              content_type="application/pdf")
def guide_pdf(case_id: int) -> Response:
    actor = current_actor()
    access.case(actor=actor, case_id=case_id)
    viewed = atomic(lambda: documents.printed_guide(case_id=case_id, actor=actor, status_url=status_url(case_id)))
    return Response(viewed.pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="guide-{case_id}.pdf"',
                             "Cache-Control": "no-store"})
