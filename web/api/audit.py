"""GET /api/v1/audit — the operation log for auditors (manager/admin): search, JSON or CSV; the search is logged."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
from flask import Response
from flask_smorest import Blueprint

from core import audit, csvsafe
from core.calendar import JST
from core.errors import Invalid
from core.i18n import N_
from core.tx import atomic
from web.auth import current_actor, roles_required

URL_PREFIX = "/audit"
blp = Blueprint("audit_api", __name__, description="The operation log (操作ログ), for auditors")
COLUMNS = ("seq", "at", "username", "role", "terminal", "ip", "action", "target_type", "target_id", "outcome",
           "details", "hash")


class AuditQuery(ma.Schema):
    user = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    resident_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    action = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    target_type = ma.fields.String(load_default=None, validate=ma.validate.Length(max=32))
    target_id = ma.fields.String(load_default=None, validate=ma.validate.Length(max=64))
    from_ = ma.fields.String(data_key="from", load_default=None, metadata={"description": "ISO date (JST) or datetime"})
    to = ma.fields.String(load_default=None, metadata={"description": "ISO date (JST, inclusive) or datetime"})
    limit = ma.fields.Integer(load_default=200, validate=ma.validate.Range(min=1, max=10000))
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]))


class AuditEntrySchema(ma.Schema):
    seq = ma.fields.Integer()
    at = ma.fields.DateTime()
    username = ma.fields.String(allow_none=True)
    role = ma.fields.String(allow_none=True)
    terminal = ma.fields.String(allow_none=True)
    ip = ma.fields.String(allow_none=True)
    action = ma.fields.String()
    target_type = ma.fields.String(allow_none=True)
    target_id = ma.fields.String(allow_none=True)
    outcome = ma.fields.String()
    details = ma.fields.String(allow_none=True)
    prev_hash = ma.fields.String(allow_none=True)
    hash = ma.fields.String(allow_none=True)


def _moment(raw: str | None, field: str, *, end: bool = False) -> datetime | None:
    """An ISO date (a whole JST day; ``end`` means the day after) or an ISO datetime (JST if no zone)."""
    if not raw:
        return None
    try:
        if len(raw) == 10:
            moment = datetime.combine(date.fromisoformat(raw), time(), tzinfo=JST)
            return (moment + timedelta(days=1) if end else moment).astimezone(UTC)
        parsed = datetime.fromisoformat(raw)
    except ValueError as err:
        raise Invalid(N_("{field}: 日付の形式が正しくありません（ISO 8601）", field=field),
                      details={field: raw[:40]}) from err
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)).astimezone(UTC)


def _search(args: dict[str, Any]) -> list[Any]:
    since, until = _moment(args["from_"], "from"), _moment(args["to"], "to", end=True)
    target_type, target_id = args["target_type"], args["target_id"]
    if args["resident_id"]:
        target_type, target_id = "resident", args["resident_id"]
    actor = current_actor()

    def work() -> list[Any]:
        found = audit.list_(username=args["user"], target_type=target_type, target_id=target_id,
                            action=args["action"], since=since, until=until, limit=args["limit"])
        audit.record(actor=actor, action="audit.search", target_type="audit_log",
                     details={k: v for k, v in args.items() if v is not None} | {"found": len(found)})
        return found

    return atomic(work)


@blp.route("")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.alt_response(200, description="text/csv when format=csv", content_type="text/csv")
@roles_required("manager")
def search(args: dict[str, Any]) -> Any:
    entries = _search(args)
    if args["format"] == "csv":
        body = csvsafe.write(COLUMNS, ([getattr(e, c) for c in COLUMNS] for e in entries))
        return Response("\ufeff" + body, mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"})
    return entries
