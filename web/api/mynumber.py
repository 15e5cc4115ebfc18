"""My Number (個人番号) of a resident: masked by default; unmasking needs a permitted role and a reason; logged."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from flask_smorest import Blueprint

from core import audit
from core.tx import atomic
from residents import mynumber
from web.auth import current_actor, roles_required

URL_PREFIX = "/residents"
blp = Blueprint("mynumber_api", __name__, description="My Number: encrypted at rest, masked, unmasking logged")


class MyNumberStore(ma.Schema):
    number = ma.fields.String(required=True, validate=ma.validate.Length(min=12, max=20))


class RevealRequest(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class MyNumberSchema(ma.Schema):
    resident_id = ma.fields.Integer()
    registered = ma.fields.Boolean()
    mynumber = ma.fields.String(allow_none=True)
    masked = ma.fields.Boolean()


@blp.route("/<int:resident_id>/mynumber")
@blp.response(200, MyNumberSchema)
@roles_required("counter", "section", "manager")
def show_masked(resident_id: int) -> dict[str, Any]:
    actor = current_actor()

    def work() -> dict[str, Any]:
        shown = mynumber.masked(resident_id=resident_id)
        audit.record(actor=actor, action="mynumber.view_masked", target_type="resident", target_id=resident_id)
        return {"resident_id": resident_id, "registered": shown is not None, "mynumber": shown, "masked": True}

    return atomic(work)


@blp.route("/<int:resident_id>/mynumber", methods=["PUT"])
@blp.arguments(MyNumberStore)
@blp.response(200, MyNumberSchema)
@roles_required("counter")
def store(body: dict[str, Any], resident_id: int) -> dict[str, Any]:
    settings, actor = current_app.config["MADOGUCHI"], current_actor()
    atomic(lambda: mynumber.store(actor=actor, settings=settings, resident_id=resident_id, number=body["number"]))
    return {"resident_id": resident_id, "registered": True, "mynumber": mynumber.MASK, "masked": True}


@blp.route("/<int:resident_id>/mynumber/reveal", methods=["POST"])
@blp.arguments(RevealRequest)
@blp.response(200, MyNumberSchema)
@roles_required("counter", "section", "manager")
def reveal(body: dict[str, Any], resident_id: int) -> dict[str, Any]:
    settings, actor = current_app.config["MADOGUCHI"], current_actor()
    number = atomic(lambda: mynumber.reveal(actor=actor, settings=settings, resident_id=resident_id,
                                            reason=body["reason"]))
    return {"resident_id": resident_id, "registered": True, "mynumber": number, "masked": False}
