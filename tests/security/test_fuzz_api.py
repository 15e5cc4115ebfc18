"""Schemathesis fuzzes every operation of /api/v1/openapi.json as an admin and as a section user (whose requests
meet the object checks of web.auth): no input may cause a server error.

Bounded: ``FUZZ_EXAMPLES`` examples per operation (default 8), derandomised, no shrinking phase, so the run
stays well under a minute. The totals (operations, calls, server errors) are printed with ``-s``.
(The schemathesis pytest plugin does not work with pytest 9 yet, so each operation runs through Hypothesis'
``given`` directly.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings

from core.db import db, utcnow
from integrations.scheduler.models import SchedulerLock
from tests.conftest import api_headers

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def _fuzz(operation: schemathesis.APIOperation, headers: dict[str, str], failures: list[str],
          totals: dict[str, int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        totals["calls"] += 1
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]} "
                            f"→ {response.status_code} {response.text[:300]}")

    run()


@pytest.mark.parametrize("user", ["admin", "hoken"])
def test_no_input_causes_a_server_error(app: Flask, user: str) -> None:
    # A scheduler's heartbeat, so that /health answers 200 (without one it is rightly 503: test_health_truth).
    db.session.add(SchedulerLock(name="scheduler", holder="fuzz:1", acquired_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = api_headers(user)
    failures: list[str] = []
    totals = {"operations": 0, "calls": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        totals["operations"] += 1
        _fuzz(operation, headers, failures, totals)
    print(f"\nschemathesis as {user}: {totals['operations']} operations, {totals['calls']} calls, "  # noqa: T201
          f"{len(failures)} server errors")
    assert totals["calls"] >= totals["operations"]
    assert not failures, "\n".join(failures)
