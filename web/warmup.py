"""What gunicorn's master prepares before it forks the workers, so that no terminal's first request pays for it.

Measured in ``bench/load.py`` before this: a worker's first visit start took 1.4–1.6 s (the journey's BPMN parsed
and its spec read back), its first pages 0.4–1 s (Jinja compiling each template). Done once in the master, the
parsed specs and compiled templates are inherited by every worker with the app (``preload_app``); a restarted
worker forks from the same master and starts warm too. Nothing here may fail the start: an error is logged.
"""

from __future__ import annotations

import logging

from flask import Flask

from core.db import db
from core.tx import commit, rollback
from forms import render
from workflows import registry, runtime

log = logging.getLogger(__name__)


def run(app: Flask) -> dict[str, int]:
    """Parse the deployed journeys and compile the page and print templates; what was warmed, counted."""
    counts = {"processes": 0, "templates": 0}
    with app.app_context():
        try:
            counts["processes"] = len(registry.warm(engine=runtime.engine()))
            commit()  # the snapshots stored, as the first case of each would have
        except Exception:  # noqa: BLE001 - a database not yet migrated, or down: the workers warm as they go
            rollback()
            log.exception("warm-up: the journeys were not prepared")
        finally:
            db.session.remove()
        for env in (app.jinja_env, render.environment()):
            for name in env.list_templates(filter_func=lambda n: n.endswith(".html")):
                try:
                    env.get_template(name)
                    counts["templates"] += 1
                except Exception:  # noqa: BLE001 - a template with an error shows it when it is used
                    log.warning("warm-up: template %s did not compile", name)
    return counts
