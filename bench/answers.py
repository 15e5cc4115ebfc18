"""What a clerk types into the API's questions, for the benches that drive visits (load, faults, history).

A plain module on purpose: ``bench/locustfile.py`` imports locust, which patches sockets with gevent, so the
benches that drive the app with ``requests`` or the test client take these helpers from here, not from there.
"""

from __future__ import annotations

import base64
import io
import random
from datetime import datetime
from typing import Any

from core.calendar import JST

SAMPLES = {"kana": "コタエ", "postal": "753-8650", "phone": "083-922-4111", "digits": "1234567890",
           "partial_date": "1980-01-01"}


def today() -> str:
    """Today's date in Japan, as a date field takes it."""
    return datetime.now(JST).date().isoformat()


def sample(question: dict[str, Any], on: str | None = None) -> Any:
    """A value a clerk could type, from the question's options, type and format only (``on``: a date field's
    value, today by default)."""
    if question.get("options"):
        return question["options"][0]["value"] if question["type"] != "boolean" else False
    kind = question["type"]
    if kind == "date":
        return on or today()
    if kind == "integer":
        return question.get("min") or 1
    if kind == "boolean":
        return False
    text = SAMPLES.get(question.get("format") or "", "回答")
    return text[: question["max_length"]] if question.get("max_length") else text


def answers(fields: list[dict[str, Any]], *, key: str = "name", on: str | None = None) -> dict[str, Any]:
    """Answers to ``fields`` (a task's required questions by ``name``, or a case's form questions by ``key``);
    per-person ones under ``"members"``, as the API takes them."""
    data: dict[str, Any] = {}
    members: dict[str, dict[str, Any]] = {}
    for q in fields:
        if not q.get("required", True) and key == "name":
            continue
        value = q.get("default") or sample(q, on)
        if q.get("member") is not None:
            members.setdefault(str(q["member"]), {})[q[key]] = value
        else:
            data[q[key]] = value
    if members:
        data["members"] = members
    return data


def tick_one(data: dict[str, Any], groups: list[dict[str, Any]]) -> dict[str, Any]:
    """``data`` with one box ticked of each ``at_least_one`` group the questions name (a certificate asked for);
    never the 印鑑登録証明書, refused for the many residents without a registration (workflows.visit.seal_check)."""
    for group in groups:
        data[random.choice([f for f in group["fields"] if f != "cert_inkan"] or group["fields"])] = True
    return data


def signature_png() -> str:
    """A drawn signature, base64 PNG, as the signature pad sends it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
