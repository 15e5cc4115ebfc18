"""The alert hook: tell a person when a scheduled job fails or the health check goes red.

Configured by ``MADOGUCHI_ALERT_COMMAND`` (run without a shell, the alert JSON on stdin) and/or
``MADOGUCHI_ALERT_WEBHOOK`` (the JSON POSTed). Failures of the hook itself are logged, never raised:
an alert must not break the request or job that raised it. The job runner fires one for every failed run
(``integrations.scheduler.runner``).
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import urllib.request
from typing import Any

from core.db import utcnow
from core.settings import Settings

log = logging.getLogger(__name__)


def fire(*, settings: Settings, kind: str, message: str, details: dict[str, Any] | None = None) -> list[str]:
    """Send one alert through every configured channel; returns what was tried and how it went."""
    payload = {"kind": kind, "message": message, "details": details or {}, "at": utcnow().isoformat()}
    body = json.dumps(payload, ensure_ascii=False, default=str)
    log.error("ALERT %s: %s", kind, message)
    outcomes = []
    if settings.alert_command:
        outcomes.append(_run_command(settings.alert_command, body))
    if settings.alert_webhook:
        outcomes.append(_post(settings.alert_webhook, body))
    return outcomes


def _run_command(command: str, body: str) -> str:
    try:
        done = subprocess.run(shlex.split(command), input=body.encode(), capture_output=True, timeout=15,
                              check=False)
        return f"command exit {done.returncode}"
    except (OSError, subprocess.SubprocessError) as err:
        log.warning("alert command failed: %s", err)
        return f"command error {type(err).__name__}"


def _post(url: str, body: str) -> str:
    if not url.startswith(("http://", "https://")):
        return "webhook refused: not http(s)"
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - scheme checked above
            return f"webhook {response.status}"
    except OSError as err:
        log.warning("alert webhook failed: %s", err)
        return f"webhook error {type(err).__name__}"
