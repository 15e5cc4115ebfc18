"""Domain exceptions and HTTP errors mapped to responses once: JSON under /api/, a page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from core import audit
from core.db import db
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooLarge, TooManyRequests
from core.i18n import HTTP_MESSAGES, N_, library_message
from web.api.base import error_body
from web.auth import current_actor
from web.extensions import api
from web.i18n import field_messages, translate

STATUS_BY_ERROR: dict[type[DomainError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422,
                                                 TooLarge: 413,
                                                 TooManyRequests: 429}
DATABASE_DOWN = N_("データベースに接続できません。しばらくしてからもう一度お試しください。")
RETRY_AFTER_SECONDS = 5
log = logging.getLogger(__name__)


def register_errorhandlers(app: Flask) -> None:
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(DBAPIError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)


def _status_for(error: DomainError) -> int:
    for cls, status in STATUS_BY_ERROR.items():
        if isinstance(error, cls):
            return status
    return 400


LOGGED_FAILURES = {400, 409, 413, 415, 422}


def _log_refusal(status: int | None, message: str = "") -> None:
    """A refused request (403) or failed change (4xx on POST/PUT/PATCH/DELETE) is logged in a transaction of
    its own: the request's own work, with any entry it wrote, was rolled back."""
    changing = request.method not in {"GET", "HEAD", "OPTIONS"}
    if not (status == 403 or (changing and status in LOGGED_FAILURES)):
        return
    actor = g.get("actor")
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_actor()
    try:
        audit.record_independently(actor=actor, action="access.denied" if status == 403 else "request.failed",
                                   target_type="endpoint", target_id=request.endpoint,
                                   outcome="denied" if status == 403 else f"error {status}",
                                   details={"method": request.method, "path": request.path[:200],
                                            "message": str(message)[:300]})
    except Exception:  # noqa: BLE001 - failing to log must not turn a 403 into a 500
        log.exception("could not log a refused request")


def _domain_error(error: DomainError):  # noqa: ANN202 - Flask response tuple
    db.session.rollback()
    status = _status_for(error)
    _log_refusal(status, error.message)
    message, details = translate(error.message), _translated_details(error.details)
    if request.path.startswith("/api/"):
        return error_body(status, message, details, code=error.code), status
    return render_template("error.html", status=status, message=message, details=details), status


def _translated_details(details: dict) -> dict:
    """A refusal's details with the validation messages (``fields``, from web.pageinput) in the reader's language."""
    if "fields" not in details:
        return details
    return {**details, "fields": field_messages(details["fields"])}


def _http_error(error: HTTPException):  # noqa: ANN202
    if error.code == 403 or error.code in LOGGED_FAILURES:
        db.session.rollback()
        _log_refusal(error.code, error.description or "")
    if request.path.startswith("/api/"):
        return api.handle_http_exception(error)
    if error.code == 401:
        return error.get_response()
    message = translate(_described(error))
    return render_template("error.html", status=error.code, message=message, details={}), error.code


def _described(error: HTTPException) -> str:
    """The error's own message, or the catalogue's for its status when it has only werkzeug's English default."""
    description = error.description or ""
    if description == type(error).description and error.code in HTTP_MESSAGES:
        return HTTP_MESSAGES[error.code]
    return library_message(description)


def _out_of_range(error: Exception):  # noqa: ANN202
    """A value the database cannot hold (a huge id, an over-long text) is bad input, not a server fault.

    The safety net found by fuzzing; schemas should bound their fields so this is never reached."""
    log.warning("value out of range for the database on %s %s: %s", request.method, request.path,
                type(error).__name__)
    db.session.rollback()
    return _domain_error(Invalid(N_("値が範囲外です"), details={"request": request.path[:200]}))


def _database_unavailable(error: DBAPIError):  # noqa: ANN202
    """The database is down or restarting (a lost connection, a refused one, a server shutting down): 503 and
    "try again", not a 500. Nothing of the request was committed, and the pool has already thrown the broken
    connection away, so the next request after the database is back succeeds without restarting anything.
    Any other driver error is a fault of the app and stays a 500."""
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        return _unexpected_error(error)
    log.warning("database unavailable on %s %s: %s", request.method, request.path, str(error.orig).strip()[:300])
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the session is discarded at the end of the request anyway
        log.debug("rollback after a lost connection failed", exc_info=True)
    message = translate(DATABASE_DOWN)  # the reader's language, chosen from the request and the session only
    unavailable = ServiceUnavailable(message)
    if request.path.startswith("/api/"):
        response = api.handle_http_exception(unavailable)
    else:
        # Rendered without Flask's context processors: flask-login's would load the signed-in user from the
        # database that is down.
        page = current_app.jinja_env.get_template("unavailable.html").render(message=message,
                                                                               path=request.path)
        response = page, 503
    response = current_app.make_response(response)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unexpected_error(error: Exception):  # noqa: ANN202
    log.exception("unexpected error on %s %s", request.method, request.path)
    db.session.rollback()
    return _http_error(InternalServerError(N_("内部エラーが発生しました。管理者に連絡してください。")))
