"""Login, logout and the home page that sends each role to its work."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_user, logout_user

from core import audit, users
from core.errors import Invalid
from core.tx import atomic
from web.auth import LoginUser, current_actor, roles_required
from web.pageinput import PageSchema, local_path, parse, text

bp = Blueprint("auth", __name__)


class LoginForm(PageSchema):
    username = text(max_length=64)
    password = text(max_length=256)
    terminal = text(max_length=100)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Public (PUBLIC_ENDPOINTS): the login form, CSRF-checked."""
    if request.method == "GET":
        return render_template("login.html")
    try:
        form = parse(LoginForm, request.form)
    except Invalid as err:
        flash(f"{err.message}（{'、'.join(err.details['fields'])}）", "error")
        return render_template("login.html"), 422
    settings = current_app.config["MADOGUCHI"]
    user = atomic(lambda: users.authenticate(username=form["username"], password=form["password"],
                                             terminal=form["terminal"] or None, ip=request.remote_addr,
                                             max_failures=settings.login_max_failures,
                                             lockout_minutes=settings.lockout_minutes))
    if user is None:
        flash("ユーザー名またはパスワードが違うか、アカウントが一時的にロックされています。", "error")
        return render_template("login.html"), 401
    session.clear()
    login_user(LoginUser(user))
    session["terminal"] = form["terminal"] or None
    return redirect(local_path(request.args.get("next")) or url_for("auth.home"))


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout() -> ResponseReturnValue:
    actor = current_actor()
    atomic(lambda: audit.record(actor=actor, action="auth.logout"))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


# Each role lands where it works: manager → 管理者ビュー, designer → 業務設計, admin → 管理, counter → 窓口受付,
# section → 受付一覧 (tests/web/test_landing.py opens each and finds no 403 and no button the role cannot use).
LANDING = {"manager": "manager.overview", "designer": "designer.index", "admin": "admin.index",
           "counter": "counter.search", "section": "inbox.inbox"}


@bp.route("/")
@roles_required()
def home() -> ResponseReturnValue:
    """Where each role starts (and where トップへ戻る on an error page leads): a page the role may open."""
    role = current_actor().role
    return redirect(url_for(LANDING.get(role, "inbox.inbox")))
