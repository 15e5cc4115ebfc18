"""POST /api/v1/auth/token — exchange a username and password for a bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import current_app, request
from flask_smorest import Blueprint, abort

from core import users
from core.tx import atomic

URL_PREFIX = "/auth"
blp = Blueprint("auth_api", __name__, description="API tokens")


class TokenRequest(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    password = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))


class TokenResponse(ma.Schema):
    token = ma.fields.String()
    expires_at = ma.fields.DateTime()


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
def issue_token(body: dict[str, Any]) -> dict[str, Any]:
    settings = current_app.config["MADOGUCHI"]

    def work() -> tuple[str, datetime] | None:
        user = users.authenticate(username=body["username"], password=body["password"],
                                  terminal=request.headers.get("X-Terminal"), ip=request.remote_addr,
                                  max_failures=settings.login_max_failures, lockout_minutes=settings.lockout_minutes)
        return None if user is None else users.issue_token(user=user, ttl_seconds=settings.token_ttl_seconds)

    issued = atomic(work)  # a failed attempt is logged by authenticate in a transaction of its own
    if issued is None:
        abort(401, message="ユーザー名またはパスワードが違います (invalid credentials)")
    token, expires_at = issued
    return {"token": token, "expires_at": expires_at}
