"""Front-end libraries installed by npm, served from node_modules (no copies in the repository)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("frontend", __name__, url_prefix="/vendor")

# Only these files of node_modules are served; nothing else there is reachable.
ASSETS = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    # the designer's modelers (issue 7): bundles, their styles, and the icon fonts embedded as data URIs
    "bpmn-modeler.js": "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "bpmn-diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
    "bpmn-font.css": "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css",
    "dmn-modeler.js": "dmn-js/dist/dmn-modeler.production.min.js",
    "dmn-diagram-js.css": "dmn-js/dist/assets/diagram-js.css",
    "dmn-js-shared.css": "dmn-js/dist/assets/dmn-js-shared.css",
    "dmn-js-drd.css": "dmn-js/dist/assets/dmn-js-drd.css",
    "dmn-js-decision-table.css": "dmn-js/dist/assets/dmn-js-decision-table.css",
    "dmn-js-decision-table-controls.css": "dmn-js/dist/assets/dmn-js-decision-table-controls.css",
    "dmn-js-literal-expression.css": "dmn-js/dist/assets/dmn-js-literal-expression.css",
    "dmn-js-boxed-expression.css": "dmn-js/dist/assets/dmn-js-boxed-expression.css",
    "dmn-js-boxed-expression-controls.css": "dmn-js/dist/assets/dmn-js-boxed-expression-controls.css",
    "dmn-font.css": "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css",
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-viewer.production.min.js",
    "chart.js": "chart.js/dist/chart.umd.min.js",
    "signature_pad.js": "signature_pad/dist/signature_pad.umd.min.js",
}


@bp.route("/<name>")
def asset(name: str) -> ResponseReturnValue:
    path = ASSETS.get(name)
    if path is None:
        abort(404)
    return send_from_directory(current_app.config["MADOGUCHI"].node_modules_dir, path, max_age=86400)
