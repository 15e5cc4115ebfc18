"""Pages for the visit's documents: generate and reprint, the signature tablet, the RPA export, the public status."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.errors import DomainError, Invalid
from core.tx import atomic
from integrations.rpa import export as rpa
from web.api.documents import status_url
from web.auth import current_actor, roles_required
from workflows.visit import documents, signatures, status

bp = Blueprint("documents", __name__)
DATA_URL_PREFIX = "data:image/png;base64,"


@bp.route("/cases/<int:case_id>/documents", methods=["GET", "POST"])
@roles_required("counter", "section", "manager")
def case_documents(case_id: int) -> ResponseReturnValue:
    if request.method == "POST":
        actor = current_actor()
        try:
            made = atomic(lambda: documents.generate_visit(case_id=case_id, actor=actor,
                                                           status_url=status_url(case_id)))
            flash(f"{len(made)} 件の書類を作成しました（変更のない書類はそのままです）。", "info")
        except DomainError as err:
            flash(f"{err.message} {err.details.get('fields', '')}", "error")
        return redirect(url_for("documents.case_documents", case_id=case_id))
    return render_template("documents.html", case_id=case_id, docs=documents.list_for_case(case_id=case_id),
                           signature=signatures.get(case_id))


def _png_from(data_url: str) -> bytes:
    if not data_url.startswith(DATA_URL_PREFIX):
        raise Invalid("署名がありません。枠の中に署名してください。", details={"signature": "required"})
    try:
        return base64.b64decode(data_url.removeprefix(DATA_URL_PREFIX), validate=True)
    except (binascii.Error, ValueError) as err:
        raise Invalid("署名データが壊れています", details={"signature": "not base64"}) from err


@bp.route("/cases/<int:case_id>/signature", methods=["GET", "POST"])
@roles_required("counter")
def signature(case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("signature.html", case_id=case_id, signature=signatures.get(case_id))
    actor = current_actor()
    png = _png_from(request.form.get("signature", ""))
    atomic(lambda: signatures.save(case_id=case_id, png=png, actor=actor))
    flash("署名を保存しました。書類を作成すると署名欄に入ります。", "info")
    return redirect(url_for("documents.case_documents", case_id=case_id))


@bp.route("/rpa", methods=["GET", "POST"])
@roles_required("manager")
def rpa_exports() -> ResponseReturnValue:
    if request.method == "POST":
        actor = current_actor()
        export = atomic(lambda: rpa.create_export(actor=actor, trigger="page"))
        flash(f"RPA 出力 {export.id}: {export.rows} 件（手入力 {export.manual_rows} 件）", "info")
        return redirect(url_for("documents.rpa_exports"))
    return render_template("rpa.html", exports=rpa.list_exports(), pending=len(rpa.pending()))


@bp.route("/status/<token>")
def public_status(token: str) -> ResponseReturnValue:
    """No login (PUBLIC_ENDPOINTS): the token is the key; nothing identifying is shown."""
    return render_template("status.html", status=status.public_status(token))
