"""A generic client of the counter visit API (API.md, "The whole counter visit through the API").

It knows no form: it reads the questions (with their options, per person), answers each from what it is given
or with a plausible value of the question's type, format and options, and walks the visit to its guide —
questions → answers → procedures → form questions → form answers → documents → signature → hand-over → guide.
A tablet app would do the same with a person typing the answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import api_headers
from tests.web.test_counter_path import _signature_png

SAMPLES = {"kana": "コタエ", "postal": "753-8650", "phone": "083-922-4111", "digits": "1234567890",
           "partial_date": "1980-01-01"}


class ApiError(AssertionError):
    """The API refused a step: the status and the contract's error body."""

    def __init__(self, step: str, response: Any) -> None:
        body = response.get_json(silent=True)
        super().__init__(f"{step}: {response.status_code} {body}")
        self.status, self.body = response.status_code, body


def sample(question: dict[str, Any], *, on: str) -> Any:
    """A value a clerk could type for ``question`` — by its options, type and format only."""
    if question.get("options"):
        return question["options"][0]["value"] if question["type"] != "boolean" else False
    kind = question["type"]
    if kind == "date":
        return on
    if kind == "integer":
        return question.get("min") or 1
    if kind == "boolean":
        return False
    text = SAMPLES.get(question.get("format") or "", "回答")
    limit = question.get("max_length")
    return text[:limit] if limit else text


@dataclass
class Visit:
    """What one walk through the API produced."""

    case_id: int
    procedures: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    guide: bytes = b""
    pdfs: dict[int, bytes] = field(default_factory=dict)


class VisitClient:
    """Drives a visit through the API as ``user`` (a bearer token, as a tablet would hold)."""

    def __init__(self, client: FlaskClient, user: str = "counter") -> None:
        self.client, self.headers = client, api_headers(user)

    def _call(self, step: str, method: str, path: str, expect: int, **kwargs: Any) -> Any:
        response = self.client.open(path, method=method, headers=self.headers, **kwargs)
        if response.status_code != expect:
            raise ApiError(step, response)
        return response

    def start(self, *, resident_id: int, members: list[int], events: list[str], notifier: dict[str, Any] | None = None,
              event_date: str | None = None, process_key: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"process_key": process_key or self.journey(events), "resident_id": resident_id,
                                "members": members, "events": events}
        if notifier is not None:
            body["notifier"] = notifier
        if event_date is not None:
            body["event_date"] = event_date
        return self._call("start", "POST", "/api/v1/cases", 201, json=body).get_json()

    @staticmethod
    def journey(events: list[str]) -> str:
        return "journey_shomei" if "shomei" in events else f"journey_{events[0]}"

    def questions(self, task_id: int) -> list[dict[str, Any]]:
        return self._call("questions", "GET", f"/api/v1/tasks/{task_id}/questions", 200).get_json()["fields"]

    def answer_task(self, task_id: int, *, on: str, given: dict[str, Any] | None = None,
                    per_member: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        """Complete a task answering every question: ``given`` by name, ``per_member`` by person and name, the
        rest with :func:`sample` (an optional one left empty)."""
        given, per_member = given or {}, per_member or {}
        data: dict[str, Any] = {}
        members: dict[str, dict[str, Any]] = {}
        for q in self.questions(task_id):
            if q.get("member") is not None:
                mine = per_member.get(q["member"], {})
                if q["name"] in mine or q["required"]:
                    members.setdefault(str(q["member"]), {})[q["name"]] = mine.get(q["name"], sample(q, on=on))
            elif q["name"] in given or q["required"]:
                data[q["name"]] = given.get(q["name"], sample(q, on=on))
        if members:
            data["members"] = members
        return self._call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", 200, json={"data": data}).get_json()

    def procedures(self, case_id: int) -> list[dict[str, Any]]:
        return self._call("procedures", "GET", f"/api/v1/cases/{case_id}/procedures", 200).get_json()

    def form_questions(self, case_id: int, *, everything: bool = False) -> list[dict[str, Any]]:
        path = f"/api/v1/cases/{case_id}/form-questions" + ("?all=true" if everything else "")
        return self._call("form-questions", "GET", path, 200).get_json()

    def answer_forms(self, case_id: int, *, on: str, given: dict[str, Any] | None = None,
                     per_member: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
        given, per_member = given or {}, per_member or {}
        answers: dict[str, Any] = {}
        members: dict[str, dict[str, Any]] = {}
        for q in self.form_questions(case_id):
            typed = q.get("default") or sample(q, on=on)
            if q.get("member") is not None:
                mine = per_member.get(q["member"], {})
                members.setdefault(str(q["member"]), {})[q["key"]] = mine.get(q["key"], typed)
            else:
                answers[q["key"]] = given.get(q["key"], typed)
        body = {"answers": answers, "members": members}
        return self._call("form-answers", "PUT", f"/api/v1/cases/{case_id}/form-answers", 200, json=body).get_json()

    def make_documents(self, case_id: int) -> list[dict[str, Any]]:
        return self._call("documents", "POST", f"/api/v1/cases/{case_id}/documents", 201).get_json()

    def pdf(self, document_id: int) -> bytes:
        return self._call("document", "GET", f"/api/v1/documents/{document_id}", 200).data

    def sign(self, case_id: int) -> None:
        png = base64.b64encode(_signature_png()).decode()
        self._call("signature", "POST", f"/api/v1/cases/{case_id}/signature", 201, json={"png_base64": png})

    def hand_over(self, case_id: int) -> list[dict[str, Any]]:
        return self._call("hand-over", "POST", f"/api/v1/cases/{case_id}/hand-over", 200).get_json()

    def guide(self, case_id: int) -> bytes:
        response = self._call("guide", "GET", f"/api/v1/cases/{case_id}/guide", 200)
        assert response.mimetype == "application/pdf"
        return response.data

    def visit(self, *, resident_id: int, members: list[int], events: list[str], on: str,
              notifier: dict[str, Any] | None = None, interview: dict[str, Any] | None = None,
              interview_members: dict[int, dict[str, Any]] | None = None, forms: dict[str, Any] | None = None,
              form_members: dict[int, dict[str, Any]] | None = None, event_date: str | None = None) -> Visit:
        """The whole visit, from the start to the guide; every document's PDF fetched."""
        case = self.start(resident_id=resident_id, members=members, events=events, notifier=notifier,
                          event_date=event_date)
        [interview_task] = [t for t in case["tasks"] if t["state"] == "ready"]
        self.answer_task(interview_task["id"], on=on, given={"event_date": on, **(interview or {})},
                         per_member=interview_members)
        visit = Visit(case_id=case["id"], procedures=self.procedures(case["id"]))
        self.answer_forms(case["id"], on=on, given=forms, per_member=form_members)
        self.make_documents(case["id"])
        self.sign(case["id"])
        visit.documents = self.hand_over(case["id"])
        visit.pdfs = {d["id"]: self.pdf(d["id"]) for d in visit.documents}
        visit.guide = self.guide(case["id"])
        return visit
