"""GET /api/v1/health — open to monitors; 503 when the database does not answer."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlalchemy import text

from core.db import db

URL_PREFIX = "/health"
blp = Blueprint("health_api", __name__, description="Liveness for monitoring (no login)")


@blp.route("")
def health() -> tuple[dict[str, str], int]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"status": "ok", "db": "ok"}, 200
    except Exception as err:  # noqa: BLE001 - any DB failure is "down" for the monitor
        db.session.rollback()
        return {"status": "error", "db": f"error: {type(err).__name__}"}, 503
