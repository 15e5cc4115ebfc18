"""What every deployment of BPMN/DMN is checked against: this deployment's section lanes, installed operations and
defined forms — the designer's pages and API, the `deploy` and `demo` commands alike."""

from __future__ import annotations

from typing import Any

from flask import current_app

from core import users
from core.actor import Actor
from forms import deployed, taskforms
from workflows import designer, registry, validation, wiring
from workflows.models import ModelVersion


def model_rules() -> dict[str, Any]:
    """The keyword arguments ``registry.deploy`` and ``designer.check`` need, read from this deployment."""
    return {"lanes": {s.lane for s in users.list_sections()}, "operation_names": wiring.operation_names(),
            "form_exists": taskforms.exists, "max_bytes": current_app.config["MADOGUCHI"].max_model_bytes}


def deploy_files(*, files: list[tuple[str, bytes]], actor: Actor) -> list[ModelVersion]:
    """Deploy ``files`` as new versions, checked against :func:`model_rules`; flushed."""
    return registry.deploy(files=files, actor=actor, **model_rules())


def check_files(files: list[tuple[str, bytes]]) -> list[validation.Problem]:
    """Problems deploying ``files`` would meet; nothing is stored."""
    return designer.check(files=files, **model_rules())


def form_keys() -> list[str]:
    """The task forms a user task may name (folders of forms/library with a form.yaml, and forms deployed from
    the designer's form editor)."""
    library = {p.name for p in taskforms.LIBRARY.iterdir() if (p / "form.yaml").is_file()}
    return sorted(library | set(deployed.keys()))


def form_list() -> list[dict[str, Any]]:
    """Every form a designer may edit: key, title, where it comes from, its newest deployed version if any."""
    found = []
    for key in form_keys():
        row = deployed.latest(key)
        found.append({"key": key, "title": taskforms.get(key).title, "version": row.version if row else None,
                      "origin": "deployed" if row else "library"})
    return found


def palette() -> dict[str, Any]:
    """What the properties panel offers: section lanes, forms, operations with their parameters, decisions."""
    return {"lanes": [{"lane": s.lane, "name": s.name} for s in users.list_sections()],
            "forms": [{"key": k, "title": taskforms.get(k).title} for k in form_keys()],
            "operations": [{"name": o.name, "description": o.description, "params": o.params}
                           for o in wiring.operations()],
            "decisions": [{"key": v.key, "name": v.name} for v in registry.latest_versions() if v.kind == "dmn"]}
