"""Residents of the common DB: ranked search and one record with its household (both logged)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from core.tx import atomic
from residents import protection, search
from residents.models import Resident
from web.auth import current_actor, roles_required
from workflows import access

URL_PREFIX = "/residents"
blp = Blueprint("residents_api", __name__, description="The common resident database (共通DB)")
SUPPORT_ALERT = protection.ALERT


def _masked(name: str) -> ma.fields.Function:
    """An address field as given out: masked for a 支援措置 household (see residents.protection)."""
    return ma.fields.Function(lambda r: protection.address_fields(r)[name], allow_none=True)


class ResidentQuery(ma.Schema):
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))
    birth_date = ma.fields.Date(load_default=None)
    address = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=search.MAX_LIMIT))


class ResidentSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    jumin_code = ma.fields.String()
    setai_no = ma.fields.String()
    household_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()
    name_kana = ma.fields.String(allow_none=True)
    alias = ma.fields.String(allow_none=True)
    birth_date = ma.fields.String(attribute="birth_date_text")
    sex = ma.fields.String(allow_none=True)
    relation = ma.fields.String(allow_none=True)
    postal_code = _masked("postal_code")
    address = _masked("address")
    address_extra = _masked("address_extra")
    resident_type = ma.fields.String()
    nationality = ma.fields.String(allow_none=True)
    support_measure = ma.fields.Boolean()
    household_protected = ma.fields.Function(lambda r: protection.household_protected(r))
    protection = ma.fields.Function(protection.mark, allow_none=True, metadata={
        "description": "支援措置: flagged (the resident is protected), household (someone of the household is), "
                       "null (neither); as on every case and task row"})
    alert = ma.fields.Function(lambda r: protection.status(r).alert)


class ResidentHitSchema(ResidentSummarySchema):
    """A search hit: the resident's summary plus the rank score and the household head."""

    score = ma.fields.Integer()
    head_name = ma.fields.Function(lambda r: r.household.head_name if r.household else None)


class ResidentHouseholdSchema(ma.Schema):
    id = ma.fields.Integer()
    setai_no = ma.fields.String()
    head_name = ma.fields.String(allow_none=True)
    postal_code = ma.fields.Function(lambda h: protection.address_fields(h.members[0])["postal_code"]
                                     if h.members else h.postal_code, allow_none=True)
    address = ma.fields.Function(lambda h: protection.address_fields(h.members[0])["address"]
                                 if h.members else h.address, allow_none=True)
    address_extra = ma.fields.Function(lambda h: protection.address_fields(h.members[0])["address_extra"]
                                       if h.members else h.address_extra, allow_none=True)
    members = ma.fields.Function(lambda h: ResidentSummarySchema(many=True).dump(search.members(h.members[0]))
                                 if h.members else [])


class ResidentDetailSchema(ResidentSummarySchema):
    former_surname = ma.fields.String(allow_none=True)
    resident_since = ma.fields.Date(allow_none=True)
    change_reason = ma.fields.String(allow_none=True)
    change_date = ma.fields.Date(allow_none=True)
    residence_status = ma.fields.String(allow_none=True)
    support_measure_kind = ma.fields.String(allow_none=True)
    support_measure_from = ma.fields.Date(allow_none=True)
    support_measure_until = ma.fields.Date(allow_none=True)
    support_measure_relation = ma.fields.String(allow_none=True)
    facts = ma.fields.Method("_facts")
    source = ma.fields.String()
    imported_at = ma.fields.DateTime()
    import_run_id = ma.fields.Integer(allow_none=True)
    household = ma.fields.Nested(ResidentHouseholdSchema, allow_none=True)

    def _facts(self, resident: Resident) -> dict[str, Any]:
        """The facts the caller may see (a 障害者手帳 grade only 高齢障がい福祉課: workflows.access)."""
        names = ("insurance", "pension_category", "mynumber_card", "seal_registered", "disability",
                 "care_certified", "child_allowance_recipient", "welfare_medical", "single_parent", "school",
                 "dog_owner", "support_measure")
        hidden = access.hidden_facts(actor=current_actor())
        return {name: getattr(resident, name) for name in names if name not in hidden}


class _HitView:
    """A hit read like its resident, plus ``score`` (what ResidentHitSchema dumps)."""

    def __init__(self, hit: search.Hit) -> None:
        self.score = hit.score
        self._resident = hit.resident

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resident, name)


@blp.route("")
@roles_required("counter", "section", "manager")
@blp.arguments(ResidentQuery, location="query")
@blp.response(200, ResidentHitSchema(many=True))
def search_residents(query: dict[str, Any]) -> list[_HitView]:
    actor = current_actor()
    hits = atomic(lambda: search.search(actor=actor, **query))
    return [_HitView(h) for h in hits]


@blp.route("/<int:resident_id>")
@roles_required("counter", "section", "manager")
@blp.response(200, ResidentDetailSchema)
def get_resident(resident_id: int) -> Resident:
    actor = current_actor()
    return atomic(lambda: search.get(resident_id=resident_id, actor=actor))
