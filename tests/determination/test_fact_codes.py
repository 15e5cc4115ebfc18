"""Fact codes are DOMAIN.md's lists: an unknown code is refused with a Japanese 422 naming the member and the field
and the codes allowed, never silently read as 'none'; the core system's Japanese spellings (身体3級) are the same
codes. A finding of issue 17 (``shintai-1`` used to mean no disability)."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient

from core.errors import Invalid
from tests.conftest import api_headers, deploy_library
from tests.determination.test_rules import SHAHO, D
from workflows.determination import facts, service


@pytest.mark.parametrize(("field", "value"), [
    ("disability", "shintai-1"), ("disability", "shintai7"), ("disability", "ryoiku_c"), ("disability", 1),
    ("care_certified", "yokaigo6"), ("pension_category", "4"), ("insurance", "private"), ("school", "high_1"),
    ("resident_type", "alien"),
])
def test_an_unknown_code_is_refused_naming_the_field_and_the_codes(client: FlaskClient, field: str,
                                                                   value: object) -> None:
    deploy_library()
    household = [SHAHO, {**SHAHO, "relation": "妻", field: value}]
    answer = client.post("/api/v1/determinations", headers=api_headers("counter"),
                         json={"event": "tennyu", "event_date": D, "household": household,
                               "answers": {"wants_seal": False}})
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["details"]["field"] == f"household[1].{field}"
    assert "のいずれか" in error["message"] and error["details"]["allowed"]


@pytest.mark.parametrize(("value", "code"), [
    ("shintai1", "shintai1"), ("身体1級", "shintai1"), ("身体障害者手帳3級", "shintai3"), ("療育A", "ryoiku_a"),
    ("療育手帳B", "ryoiku_b"), ("精神1級", "seishin1"), ("", "none"), ("なし", "none"), (None, "none"),
])
def test_the_core_systems_spellings_are_the_same_codes(value: object, code: str) -> None:
    member = facts.normalise_member({**SHAHO, "disability": value}, 0)
    assert member["disability"] == code


def test_a_3rd_grade_handbook_from_the_core_system_counts_as_severe(app: object) -> None:
    deploy_library()
    found = service.determine(events=["tennyu"], event_date=date.fromisoformat(D),
                              household=[{**SHAHO, "disability": "身体3級"}], answers={"wants_seal": False})
    assert "fukushi.judo" in {p["code"] for p in found}


def test_care_and_school_codes(app: object) -> None:
    assert facts.normalise_member({**SHAHO, "care_certified": "要介護2"}, 0)["care_certified"] == "yokaigo2"
    assert facts.normalise_member({**SHAHO, "care_certified": "要支援1"}, 0)["care_certified"] == "yoshien1"
    assert facts.normalise_member({**SHAHO, "school": "elementary_3"}, 0)["school"] == "elementary_3"
    with pytest.raises(Invalid) as info:
        facts.normalise_member({**SHAHO, "school": "elementary_7"}, 4)
    assert info.value.details["field"] == "household[4].school"
