"""Resident DB pages: search and one resident (counter, sections, managers); imports and jobs (admin)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.errors import Invalid
from core.tx import atomic
from integrations.imports import importer
from integrations.scheduler import process, runner
from residents import search
from web.api.imports import run_upload
from web.auth import current_actor, roles_required

bp = Blueprint("residents", __name__)


def _birth_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError as err:
        raise Invalid("生年月日は YYYY-MM-DD で入力してください", details={"birth_date": raw}) from err


@bp.route("/residents")
@roles_required("counter", "section", "manager")
def search_page() -> ResponseReturnValue:
    args = {k: (request.args.get(k) or "").strip() for k in ("q", "birth_date", "address")}
    hits, error = None, None
    if any(args.values()):
        actor = current_actor()
        try:
            born = _birth_date(args["birth_date"])
            hits = atomic(lambda: search.search(actor=actor, q=args["q"], birth_date=born,
                                                address=args["address"], limit=50, screen="residents.search"))
        except Invalid as err:
            error = err
    return render_template("residents/search.html", args=args, hits=hits, error=error)


@bp.route("/residents/<int:resident_id>")
@roles_required("counter", "section", "manager")
def resident_page(resident_id: int) -> ResponseReturnValue:
    actor = current_actor()
    resident = atomic(lambda: search.get(resident_id=resident_id, actor=actor, screen="residents.detail"))
    return render_template("residents/detail.html", r=resident, members=search.members(resident))


@bp.route("/admin/imports")
@roles_required("admin")
def imports_page() -> ResponseReturnValue:
    runs = importer.list_runs(limit=30)
    return render_template("admin/imports.html", runs=runs, jobs=runner.list_jobs(),
                           errors={r.id: importer.errors_of(r)[:100] for r in runs if r.errors_json},
                           lock=process.lock_holder(), modes=importer.MODES)


@bp.route("/admin/imports", methods=["POST"])
@roles_required("admin")
def upload_import() -> ResponseReturnValue:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("ファイルを選択してください。", "error")
        return redirect(url_for("residents.imports_page"))
    mode = request.form.get("mode", "full")
    source = (request.form.get("source") or "kikan").strip()
    run = run_upload(data=upload.read(), filename=upload.filename, source=source,
                     mode=mode if mode in importer.MODES else "full", trigger="page")
    flash(f"取込 {run.id}: {run.status}（追加 {run.inserted}・変更 {run.updated}・削除 {run.deleted}・"
          f"誤り {run.rejected}行）", "info" if run.status == "succeeded" else "error")
    return redirect(url_for("residents.imports_page"))


@bp.route("/admin/jobs/<job_id>/run", methods=["POST"])
@roles_required("admin")
def run_job(job_id: str) -> ResponseReturnValue:
    run = runner.execute(job_id, trigger="manual", actor=current_actor(),
                            settings=current_app.config["MADOGUCHI"])
    flash(f"ジョブ {job_id} を実行しました：{run.status}", "info" if run.status == "succeeded" else "error")
    return redirect(url_for("residents.imports_page"))
