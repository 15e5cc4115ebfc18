"""The flask-smorest Api, with errors in the contract's shape ``{"error": {"code","message","details"}}``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from core.i18n import N_
from web.i18n import field_messages, translate

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
               422: "invalid", 429: "too_many_requests", 500: "server_error", 503: "unavailable"}
REQUEST_LOCATIONS = {"json", "query", "form", "files"}


def error_body(status: int, message: str, details: dict[str, Any] | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message, "details": details or {}}}


class MadoguchiApi(Api):
    """Only ``/api/`` requests get JSON errors here; pages get theirs from ``web.errors``."""

    def _register_error_handlers(self) -> None:
        """Registered by web.errors instead, which dispatches on the path."""

    def handle_http_exception(self, error: HTTPException) -> tuple[dict[str, Any], int, dict[str, str]]:
        data = getattr(error, "data", None) or {}
        details = data.get("errors") or data.get("messages") or {}
        # webargs nests errors by location ("json", "query", "form"); flatten the single-location case.
        if isinstance(details, dict) and len(details) == 1 and next(iter(details)) in REQUEST_LOCATIONS:
            details = next(iter(details.values()))
        message = data.get("message") or error.description or error.name
        if error.code == 422 and "message" not in data:
            message = N_("入力内容に誤りがあります")
        message, details = translate(message), field_messages(details)
        return error_body(error.code or 500, message, details), error.code or 500, data.get("headers", {})
