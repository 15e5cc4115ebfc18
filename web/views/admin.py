"""The administrator's pages: users (roles, sections, deactivate, reset password), sections and counters,
terminals, system settings, scheduled jobs with their history, and the core-system imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import city, places, users
from core.errors import DomainError
from core.i18n import N_, RUN_STATUS
from core.models import ROLES
from core.tx import atomic
from integrations.imports import drop, importer
from integrations.scheduler import process, runner
from web.auth import current_actor, roles_required
from web.i18n import translate
from web.pageinput import PageSchema, parse, text

bp = Blueprint("admin", __name__, url_prefix="/admin")


class Flag(ma.fields.Boolean):
    """A checkbox or a 1/0 select (absent: ``load_default``)."""

    def __init__(self, *, load_default: bool = False) -> None:
        super().__init__(load_default=load_default, truthy={"1", "on", "true"}, falsy={"0", "off", "false", ""})


class UserCreateForm(PageSchema):
    username = text(max_length=64)
    display_name = text(max_length=100)
    role = text(max_length=16)
    password = text(max_length=256)
    sections = ma.fields.List(ma.fields.String(), load_default=list)


class UserUpdateForm(PageSchema):
    display_name = text(max_length=100)
    role = text(max_length=16)
    sections = ma.fields.List(ma.fields.String(), load_default=list)


class ActiveForm(PageSchema):
    active = Flag()


class PasswordForm(PageSchema):
    password = text(max_length=256)


class SectionForm(PageSchema):
    name = text(max_length=100)
    lane = text(max_length=100)


class CounterForm(PageSchema):
    number = text(max_length=16)
    name = text(max_length=100)
    section_code = text(max_length=32)
    active = Flag(load_default=True)


class TerminalForm(PageSchema):
    name = text(max_length=100)
    location = text(max_length=200)
    active = Flag(load_default=True)


class ScheduleForm(PageSchema):
    action = text(max_length=16)
    cron = text(max_length=100)
    business_days_only = Flag()
    enabled = Flag()


class ImportForm(PageSchema):
    mode = text(max_length=8)
    source = text(max_length=64)
    dry_run = Flag()
    confirm_deletions = Flag()


def _apply(work: Callable[[], Any], done: str, back: str, **values: Any) -> ResponseReturnValue:
    """Run one admin change; flash its outcome (errors name the field) and go back to the list."""
    try:
        atomic(work)
        flash(done, "info")
    except DomainError as err:
        where = "、".join(f"{k}: {v}" for k, v in (err.details.get("fields") or err.details).items())
        flash(f"{err.message}" + (f"（{where}）" if where else ""), "error")
    return redirect(url_for(back, **values))


@bp.route("/")
@roles_required("admin")
def index() -> ResponseReturnValue:
    return render_template("admin/index.html")


@bp.route("/users")
@roles_required("admin")
def user_list() -> ResponseReturnValue:
    return render_template("admin/users.html", users=users.list_users(), sections=users.list_sections(), roles=ROLES)


def _min_length() -> int:
    return current_app.config["MADOGUCHI"].password_min_length


@bp.route("/users", methods=["POST"])
@roles_required("admin")
def user_create() -> ResponseReturnValue:
    actor = current_actor()
    form = parse(UserCreateForm, request.form, sections=True)
    return _apply(lambda: users.create_user(actor=actor, min_length=_min_length(), **form),
                  f"ユーザー {form['username']} を作成しました。", "admin.user_list")


@bp.route("/users/<int:user_id>", methods=["POST"])
@roles_required("admin")
def user_update(user_id: int) -> ResponseReturnValue:
    actor, form = current_actor(), parse(UserUpdateForm, request.form, sections=True)
    return _apply(lambda: users.update_user(actor=actor, user_id=user_id, **form), "ユーザーを更新しました。",
                  "admin.user_list")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def user_active(user_id: int) -> ResponseReturnValue:
    actor, active = current_actor(), parse(ActiveForm, request.form)["active"]
    return _apply(lambda: users.set_active(actor=actor, user_id=user_id, active=active),
                  "利用を再開しました。" if active else "利用を停止しました。", "admin.user_list")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
def user_password(user_id: int) -> ResponseReturnValue:
    actor, password = current_actor(), parse(PasswordForm, request.form)["password"]
    return _apply(lambda: users.reset_password(actor=actor, user_id=user_id, password=password,
                                               min_length=_min_length()),
                  "パスワードを再設定しました。", "admin.user_list")


@bp.route("/sections")
@roles_required("admin")
def section_list() -> ResponseReturnValue:
    return render_template("admin/sections.html", sections=users.list_sections(), counters=places.list_counters())


@bp.route("/sections/<code>", methods=["POST"])
@roles_required("admin")
def section_update(code: str) -> ResponseReturnValue:
    actor, form = current_actor(), parse(SectionForm, request.form)
    return _apply(lambda: users.update_section(actor=actor, code=code, **form), "課を更新しました。",
                  "admin.section_list")


@bp.route("/counters", methods=["POST"])
@roles_required("admin")
def counter_save() -> ResponseReturnValue:
    actor, form = current_actor(), parse(CounterForm, request.form)
    form["section_code"] = form["section_code"] or None
    return _apply(lambda: places.save_counter(actor=actor, **form), "窓口を保存しました。", "admin.section_list")


@bp.route("/terminals")
@roles_required("admin")
def terminal_list() -> ResponseReturnValue:
    return render_template("admin/terminals.html", terminals=places.list_terminals())


@bp.route("/terminals", methods=["POST"])
@roles_required("admin")
def terminal_save() -> ResponseReturnValue:
    actor, form = current_actor(), parse(TerminalForm, request.form)
    return _apply(lambda: places.save_terminal(actor=actor, **form), "端末を保存しました。", "admin.terminal_list")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings() -> ResponseReturnValue:
    if request.method == "POST":
        actor = current_actor()
        changes = {spec.key: request.form.get(spec.key, "") for spec in city.SETTINGS}  # checked by city.update
        return _apply(lambda: city.update(actor=actor, changes=changes), "設定を保存しました。", "admin.settings")
    return render_template("admin/settings.html", specs=city.SETTINGS, values=city.values())


@bp.route("/jobs")
@roles_required("admin")
def jobs() -> ResponseReturnValue:
    listed = runner.list_jobs()
    history = {job["id"]: runner.runs(job["id"], limit=20) for job in listed}
    return render_template("admin/jobs.html", jobs=listed, history=history, lock=process.lock_holder())


@bp.route("/jobs/<job_id>/schedule", methods=["POST"])
@roles_required("admin")
def job_schedule(job_id: str) -> ResponseReturnValue:
    actor, form = current_actor(), parse(ScheduleForm, request.form)
    if form.pop("action") == "reset":
        return _apply(lambda: runner.reset_schedule(actor=actor, job_id=job_id),
                      f"ジョブ {job_id} の予定を既定に戻しました。", "admin.jobs")
    return _apply(lambda: runner.set_schedule(actor=actor, job_id=job_id, **form),
                  f"ジョブ {job_id} の予定を保存しました（スケジューラは30秒以内に反映します）。", "admin.jobs")


@bp.route("/jobs/<job_id>/run", methods=["POST"])
@roles_required("admin")
def run_job(job_id: str) -> ResponseReturnValue:
    run = runner.execute(job_id, trigger="manual", actor=current_actor(), settings=current_app.config["MADOGUCHI"])
    status = RUN_STATUS.get(run.status, run.status)
    flash(translate(N_("ジョブ {job} を実行しました：{status}", job=job_id, status=status)),
          "info" if run.status == "succeeded" else "error")
    return redirect(url_for("admin.imports"))


def _imports_page(*, preview: dict[str, Any] | None = None, chosen: dict[str, Any] | None = None) -> str:
    runs = importer.list_runs(limit=30)
    return render_template("admin/imports.html", runs=runs, jobs=runner.list_jobs(),
                           errors={r.id: importer.errors_of(r)[:100] for r in runs if r.errors_json},
                           lock=process.lock_holder(), modes=importer.MODES, preview=preview,
                           chosen=chosen or {"mode": "diff", "source": "kikan"},
                           limit=int(importer.MAX_UNCONFIRMED_DELETIONS * 100))


@bp.route("/imports")
@roles_required("admin")
def imports() -> ResponseReturnValue:
    return _imports_page()


@bp.route("/imports", methods=["POST"])
@roles_required("admin")
def upload_import() -> ResponseReturnValue:
    """Import a file; ``dry_run`` only counts (nothing kept). A full import deleting more than 5 % of the
    residents shows its dry run and needs the confirmation box (409 until then): the page defaults to a diff."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("ファイルを選択してください。", "error")
        return redirect(url_for("admin.imports"))
    actor, form, data = current_actor(), parse(ImportForm, request.form), upload.read()
    chosen = {"source": form["source"] or "kikan", "mode": form["mode"] if form["mode"] in importer.MODES else "diff"}
    file = {"data": data, "filename": upload.filename, **chosen, "actor": actor,
            "settings": current_app.config["MADOGUCHI"]}
    if form["dry_run"]:
        return _imports_page(preview=atomic(lambda: drop.preview_file(**file)), chosen=chosen)
    try:
        run = atomic(lambda: drop.import_file(**file, trigger="page", confirm_deletions=form["confirm_deletions"]))
    except importer.DeletionsNeedConfirmation as err:
        flash(err.message, "error")
        return _imports_page(preview=atomic(lambda: drop.preview_file(**file)), chosen=chosen), 409
    flash(f"取込 {run.id}: {run.status}（追加 {run.inserted}・変更 {run.updated}・削除 {run.deleted}・"
          f"誤り {run.rejected}行）", "info" if run.status == "succeeded" else "error")
    return redirect(url_for("admin.imports"))
