"""Front-end libraries installed by npm, served from node_modules (no copies in the repository)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("frontend", __name__, url_prefix="/vendor")

# Only these files of node_modules are served; nothing else there is reachable.
ASSETS = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}


@bp.route("/<name>")
def asset(name: str) -> ResponseReturnValue:
    path = ASSETS.get(name)
    if path is None:
        abort(404)
    return send_from_directory(current_app.config["MADOGUCHI"].node_modules_dir, path, max_age=86400)
