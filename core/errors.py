"""Domain exceptions. The web layer maps each to an HTTP status once, in its error handlers."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of the errors a service raises on purpose; ``code`` is stable for API clients.

    ``audit``: an operation-log entry (the keyword arguments of ``core.audit.record``) that must outlive the
    rollback — :func:`core.tx.atomic` writes it in a transaction of its own after rolling back."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None,
                 audit: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.audit = audit


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """The thing moved on since the caller read it (stale version, task already completed)."""

    code = "conflict"


class Invalid(DomainError):
    """Input that is well-formed but wrong; ``details`` says where (field, line, element)."""

    code = "invalid"


class TooLarge(DomainError):
    code = "too_large"


class TooManyRequests(DomainError):
    """A public form sent too often from one place (the pre-entry page's rate limit)."""

    code = "too_many_requests"
