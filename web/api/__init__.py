"""The JSON API under /api/v1, one flask-smorest blueprint per area."""

from __future__ import annotations

import importlib

from web.api.base import MadoguchiApi

API_MODULES = ["web.api.health", "web.api.auth", "web.api.process_models", "web.api.cases", "web.api.tasks",
               "web.api.documents", "web.api.rpa", "web.api.residents", "web.api.imports", "web.api.jobs",
               "web.api.designer",
               "web.api.audit",
               "web.api.mynumber",
               "web.api.determinations",
               "web.api.visit",
               "web.api.protection",
               "web.api.incidents",
               "web.api.batches"]


def register_api_blueprints(api: MadoguchiApi) -> None:
    for name in API_MODULES:
        module = importlib.import_module(name)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.URL_PREFIX}")
