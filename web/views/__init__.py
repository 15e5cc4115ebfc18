"""Staff pages (Japanese, server-rendered)."""

from __future__ import annotations

from flask import Flask

from web.views import cases, counter, frontend, manager, pages


def register_page_blueprints(app: Flask) -> None:
    for module in (pages, cases, frontend, counter, manager):
        app.register_blueprint(module.bp)
