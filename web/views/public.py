"""What anyone may fetch without a login (PUBLIC_ENDPOINTS): the waiting-area display board, a visit's status
page behind its unguessable token, and the front-end libraries installed by npm.

Nothing here identifies a resident: the board shows ticket numbers and sections only, and nothing at all of a
支援措置 household (``workflows/visit/board.py``); the status page shows the ticket number and each procedure's
state (``workflows/visit/status.py``).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue

from core import city
from web.pageinput import PageSchema, parse, text
from workflows.visit import board as waiting_board
from workflows.visit import status as visit_status

bp = Blueprint("public", __name__)
REFRESH_SECONDS = 5

# Only these files of node_modules are served; nothing else there is reachable.
ASSETS = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    # the designer's modelers: bundles, their styles, and the icon fonts embedded as data URIs
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
    # the designer's bundles (web/static/designer/dist, built by scripts/setup) use these styles
    "properties-panel.css": "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    "bpmn-js-bpmnlint.css": "bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css",
    "form-js.css": "@bpmn-io/form-js/dist/assets/form-js.css",
    "form-js-editor.css": "@bpmn-io/form-js/dist/assets/form-js-editor.css",
    "form-js-properties-panel.css": "@bpmn-io/form-js/dist/assets/properties-panel.css",
    "chart.js": "chart.js/dist/chart.umd.min.js",
    "signature_pad.js": "signature_pad/dist/signature_pad.umd.min.js",
}


class BoardQuery(PageSchema):
    section = text(max_length=32)


def _section() -> str:
    return parse(BoardQuery, request.args)["section"]


@bp.route("/board")
def board() -> ResponseReturnValue:
    section = _section()
    return render_template("board/board.html", board=waiting_board.board(section=section), section=section,
                           refresh=REFRESH_SECONDS, message=city.get("display_board_message"))


@bp.route("/board/rows")
def board_rows() -> ResponseReturnValue:
    return render_template("board/_rows.html", board=waiting_board.board(section=_section()))


@bp.route("/status/<token>")
def status(token: str) -> ResponseReturnValue:
    """The token is the key; nothing identifying is shown."""
    return render_template("status.html", status=visit_status.public_status(token))


@bp.route("/vendor/<name>")
def asset(name: str) -> ResponseReturnValue:
    path = ASSETS.get(name)
    if path is None:
        abort(404)
    return send_from_directory(current_app.config["MADOGUCHI"].node_modules_dir, path, max_age=86400)
