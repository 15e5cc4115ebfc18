"""Front-end files cached by the terminals for a year, and refetched the moment they change.

The designer's and the manager's bundles weigh megabytes; fifty terminals revalidating them on every page at 8:30
cost the workers for nothing. Every ``url_for('static', ...)`` gets ``?v=`` with a fingerprint of the file's
content, and a request that carries the current fingerprint is answered ``immutable`` for a year: a new release
changes the fingerprint, so the browser asks for the new file. Without ``v`` (or with an old one) Flask's
default revalidation applies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

YEAR = 365 * 24 * 3600
_fingerprints: dict[tuple[str, float], str] = {}


def init_app(app: Flask) -> None:
    """Add the fingerprint to static URLs and the long cache header to fingerprinted answers."""
    folder = Path(app.static_folder or "")

    def fingerprint(filename: str) -> str | None:
        path = folder / filename
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        key = (str(path), mtime)
        if key not in _fingerprints:
            _fingerprints[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return _fingerprints[key]

    @app.url_defaults
    def add_version(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = fingerprint(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def cache_versioned(response: Response) -> Response:
        if (request.endpoint == "static" and response.status_code == 200 and request.args.get("v")
                and request.args["v"] == fingerprint(request.view_args.get("filename", ""))):
            response.cache_control.no_cache = None  # Flask's default for files without a max age
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response
