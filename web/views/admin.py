"""The administrator's pages: users (roles, sections, deactivate, reset password), sections and counters,
terminals, system settings, scheduled jobs with their history. Import runs live on ``residents.imports_page``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import city, places, users
from core.errors import DomainError
from core.models import ROLES
from core.tx import atomic
from integrations.scheduler import process, runner
from web.auth import current_actor, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


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


@bp.route("/users", methods=["POST"])
@roles_required("admin")
def user_create() -> ResponseReturnValue:
    f, actor = request.form, current_actor()
    return _apply(lambda: users.create_user(actor=actor, username=f.get("username", ""),
                                            display_name=f.get("display_name", ""), role=f.get("role", ""),
                                            password=f.get("password", ""), sections=f.getlist("sections")),
                  f"ユーザー {f.get('username', '')} を作成しました。", "admin.user_list")


@bp.route("/users/<int:user_id>", methods=["POST"])
@roles_required("admin")
def user_update(user_id: int) -> ResponseReturnValue:
    f, actor = request.form, current_actor()
    return _apply(lambda: users.update_user(actor=actor, user_id=user_id, display_name=f.get("display_name", ""),
                                            role=f.get("role", ""), sections=f.getlist("sections")),
                  "ユーザーを更新しました。", "admin.user_list")


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def user_active(user_id: int) -> ResponseReturnValue:
    active, actor = request.form.get("active") == "1", current_actor()
    return _apply(lambda: users.set_active(actor=actor, user_id=user_id, active=active),
                  "利用を再開しました。" if active else "利用を停止しました。", "admin.user_list")


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
def user_password(user_id: int) -> ResponseReturnValue:
    password, actor = request.form.get("password", ""), current_actor()
    return _apply(lambda: users.reset_password(actor=actor, user_id=user_id, password=password),
                  "パスワードを再設定しました。", "admin.user_list")


@bp.route("/sections")
@roles_required("admin")
def section_list() -> ResponseReturnValue:
    return render_template("admin/sections.html", sections=users.list_sections(), counters=places.list_counters())


@bp.route("/sections/<code>", methods=["POST"])
@roles_required("admin")
def section_update(code: str) -> ResponseReturnValue:
    f, actor = request.form, current_actor()
    return _apply(lambda: users.update_section(actor=actor, code=code, name=f.get("name", ""), lane=f.get("lane", "")),
                  "課を更新しました。", "admin.section_list")


@bp.route("/counters", methods=["POST"])
@roles_required("admin")
def counter_save() -> ResponseReturnValue:
    f, actor = request.form, current_actor()
    return _apply(lambda: places.save_counter(actor=actor, number=f.get("number", ""), name=f.get("name", ""),
                                             section_code=f.get("section_code") or None,
                                             active=f.get("active", "1") == "1"),
                  "窓口を保存しました。", "admin.section_list")


@bp.route("/terminals")
@roles_required("admin")
def terminal_list() -> ResponseReturnValue:
    return render_template("admin/terminals.html", terminals=places.list_terminals())


@bp.route("/terminals", methods=["POST"])
@roles_required("admin")
def terminal_save() -> ResponseReturnValue:
    f, actor = request.form, current_actor()
    return _apply(lambda: places.save_terminal(actor=actor, name=f.get("name", ""), location=f.get("location", ""),
                                              active=f.get("active", "1") == "1"),
                  "端末を保存しました。", "admin.terminal_list")


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings() -> ResponseReturnValue:
    if request.method == "POST":
        actor = current_actor()
        changes = {spec.key: request.form.get(spec.key, "") for spec in city.SETTINGS}
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
    f, actor = request.form, current_actor()
    if f.get("action") == "reset":
        return _apply(lambda: runner.reset_schedule(actor=actor, job_id=job_id),
                      f"ジョブ {job_id} の予定を既定に戻しました。", "admin.jobs")
    return _apply(lambda: runner.set_schedule(actor=actor, job_id=job_id, cron=f.get("cron", ""),
                                                 business_days_only=f.get("business_days_only") == "on",
                                                 enabled=f.get("enabled") == "on"),
                  f"ジョブ {job_id} の予定を保存しました（スケジューラは30秒以内に反映します）。", "admin.jobs")
