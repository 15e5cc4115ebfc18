"""The operations manual at /help (every role may read it; web.help holds the content) and its PDF."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from web import help as manual
from web.auth import current_actor, roles_required
from web.help import training

bp = Blueprint("help", __name__)


@bp.app_context_processor
def _help_link() -> dict[str, object]:
    return {"help_link": help_link}


@bp.route("/help")
@roles_required()
def manual_page() -> ResponseReturnValue:
    images = manual.shown_images()
    return render_template("help/manual.html", manual=manual.load(), training=training.load(), images=images,
                           no_shot=manual.NO_SHOT, role=current_actor().role)


@bp.route("/help/manual.pdf")
@roles_required()
def manual_pdf() -> ResponseReturnValue:
    return Response(manual.pdf_bytes(manual.shown_images()), mimetype="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="manual.pdf"'})


def help_link() -> str:
    """Where a page's ヘルプ link goes: its own section of the manual, else its reader's chapter."""
    anchor = request.endpoint if request.endpoint in manual.load().endpoints else None
    if anchor is None:
        anchor = current_user.user.role if current_user.is_authenticated else ""
    return url_for("help.manual_page", _anchor=anchor)
