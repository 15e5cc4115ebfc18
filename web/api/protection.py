"""支援措置: reveal a protected address (role + purpose + reason, logged) and the managers' access log."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.audit import record
from core.models import AuditEntry
from core.tx import atomic
from residents import protection
from web.api.audit import AuditEntrySchema
from web.auth import current_actor, roles_required
from workflows.visit import protection as case_protection

URL_PREFIX = "/protection"
blp = Blueprint("protection_api", __name__, description="支援措置: address reveal with a reason, access log")


class RevealBody(ma.Schema):
    purpose = ma.fields.String(required=True, validate=ma.validate.OneOf(list(protection.PURPOSES)))
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=4, max=300))
    case_id = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "the visit this reveal is for: with purpose self (本人確認), "
                                                         "that case's papers print the real address"})


class RevealedSchema(ma.Schema):
    resident_id = ma.fields.Integer()
    postal_code = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    address_extra = ma.fields.String(allow_none=True)
    purpose = ma.fields.String()


@blp.route("/residents/<int:resident_id>/reveal", methods=["POST"])
@roles_required("counter", "section", "manager")
@blp.arguments(RevealBody)
@blp.response(200, RevealedSchema)
def reveal(body: dict[str, Any], resident_id: int) -> dict[str, Any]:
    actor = current_actor()
    return atomic(lambda: case_protection.reveal(actor=actor, resident_id=resident_id, **body))


class ProtectionLogEntrySchema(AuditEntrySchema):
    """An operation-log entry as the managers' 支援措置 access log lists it (no chain fields, IP or role)."""

    class Meta:
        fields = ("at", "action", "username", "terminal", "target_id", "outcome", "details")


@blp.route("/log")
@roles_required("manager")
@blp.response(200, ProtectionLogEntrySchema(many=True))
def access_log() -> list[AuditEntry]:
    actor = current_actor()

    def work() -> list[AuditEntry]:
        entries = protection.list_log(limit=500)
        record(actor=actor, action="audit.search", target_type="protection", details={"count": len(entries)})
        return entries

    return atomic(work)
