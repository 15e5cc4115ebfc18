"""Login, logout and the home page that sends each role to its work."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from core import audit, users
from core.db import db
from web.auth import LoginUser, current_actor, roles_required

bp = Blueprint("pages", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("login.html")
    terminal = (request.form.get("terminal") or "").strip()[:100] or None
    settings = current_app.config["MADOGUCHI"]
    user = users.authenticate(username=request.form.get("username", "")[:64],
                              password=request.form.get("password", "")[:256], terminal=terminal,
                              ip=request.remote_addr, max_failures=settings.login_max_failures,
                              lockout_minutes=settings.lockout_minutes)
    db.session.commit()
    if user is None:
        flash("ユーザー名またはパスワードが違うか、アカウントが一時的にロックされています。", "error")
        return render_template("login.html"), 401
    session.clear()
    login_user(LoginUser(user))
    session["terminal"] = terminal
    next_url = request.args.get("next", "")
    return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else url_for("pages.home"))


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout() -> ResponseReturnValue:
    audit.record(actor=current_actor(), action="auth.logout")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("pages.login"))


@bp.route("/")
@roles_required()
def home() -> ResponseReturnValue:
    actor = current_actor()
    if actor.role == "counter":
        return redirect(url_for("counter.search"))
    return redirect(url_for("cases.inbox"))
