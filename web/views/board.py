"""The waiting-area display board: public by design (PUBLIC_ENDPOINTS) — it shows ticket numbers and sections
only, never anything that identifies a resident, and nothing at all of a 支援措置 household (workflows/board.py)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from core import city
from workflows.visit import board as waiting_board

bp = Blueprint("board", __name__)
REFRESH_SECONDS = 10


@bp.route("/board")
def page() -> ResponseReturnValue:
    section = (request.args.get("section") or "").strip()[:32]
    return render_template("board/board.html", board=waiting_board.board(section=section), section=section,
                           refresh=REFRESH_SECONDS, message=city.get("display_board_message"))


@bp.route("/board/rows")
def rows() -> ResponseReturnValue:
    section = (request.args.get("section") or "").strip()[:32]
    return render_template("board/_rows.html", board=waiting_board.board(section=section))
