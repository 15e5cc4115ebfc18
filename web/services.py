"""Glue the web layer and commands share: the configuration a deployment is checked against."""

from __future__ import annotations

from flask import current_app

from core import users
from core.actor import Actor
from forms import taskforms
from workflows import registry, wiring
from workflows.models import ModelVersion


def deploy_files(*, files: list[tuple[str, bytes]], actor: Actor) -> list[ModelVersion]:
    """Deploy against the configured section lanes, the registered operations and the defined forms."""
    settings = current_app.config["MADOGUCHI"]
    lanes = {s.lane for s in users.list_sections()}
    return registry.deploy(files=files, actor=actor, lanes=lanes, operation_names=wiring.operation_names(),
                           form_exists=taskforms.exists, max_bytes=settings.max_model_bytes)
