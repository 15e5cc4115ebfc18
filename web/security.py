"""Browser hardening applied to every response: security headers and session-cookie settings.

The CSP allows only our own origin. Scripts: 'self' only (no inline script, no inline event handlers).
Styles: 'self' plus inline style attributes, because bpmn-js/dmn-js set ``style`` on the SVG elements they
draw; an inline style cannot run script. Frames: none may embed us (frame-ancestors 'none').
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.routing import IntegerConverter

# Ids are 32-bit integers on PostgreSQL; a larger number in a URL is simply "not found", never a DB error.
MAX_URL_INT = 2**31 - 1

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only 0 … 2³¹−1 (found by fuzzing: huge ids overflowed the database driver)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def harden_routing(app: Flask) -> None:
    """Bound URL integers; call before any route is registered."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    """Set cookie flags from the settings and add the headers to every response."""
    settings = app.config["MADOGUCHI"]
    app.config.setdefault("SESSION_COOKIE_SECURE", settings.secure_cookies)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", settings.secure_cookies)
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.after_request(_add_headers)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype in {"text/html", "application/json"} and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"  # pages and API answers carry personal data
    return response
