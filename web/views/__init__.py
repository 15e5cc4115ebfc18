"""Staff pages (Japanese, server-rendered)."""

from __future__ import annotations

from flask import Flask

from web.views import admin, board, cases, counter, designer, documents, frontend, manager, pages, protection, residents


def register_page_blueprints(app: Flask) -> None:
    for module in (pages, cases, frontend, counter, manager, documents, residents, designer, admin,
                   protection, board):
        app.register_blueprint(module.bp)
