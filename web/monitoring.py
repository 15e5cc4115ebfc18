"""Prometheus metrics at ``/metrics``: request counts and latency (this process), queue lengths, job outcomes
and the log size (from the database, so the same on every worker).

Who may read it: an admin who is logged in (session or API token), or a scraper sending
``Authorization: Bearer <MADOGUCHI_METRICS_TOKEN>`` (checked in web.auth). Counters are per process; with
several gunicorn workers Prometheus sums them per instance label.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from flask import Blueprint, Flask, Response, g, request
from sqlalchemy import func, select

from core.db import db
from core.models import AuditChainHead
from integrations.scheduler.models import JobRun
from web.auth import roles_required
from workflows.models import CaseTask

bp = Blueprint("monitoring", __name__)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_lock = threading.Lock()
_requests: dict[tuple[str, str, int], int] = defaultdict(int)
_latency: dict[str, list[float]] = defaultdict(lambda: [0.0] * (len(BUCKETS) + 2))  # buckets…, +Inf, sum


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count)
    app.register_blueprint(bp)


def _start_timer() -> None:
    g._metrics_started = time.perf_counter()


def _count(response: Response) -> Response:
    started = g.pop("_metrics_started", None)
    if started is None:
        return response
    elapsed = time.perf_counter() - started
    endpoint = request.endpoint or "unmatched"
    with _lock:
        _requests[(request.method, endpoint, response.status_code)] += 1
        row = _latency[endpoint]
        for i, bound in enumerate(BUCKETS):
            if elapsed <= bound:
                row[i] += 1
        row[len(BUCKETS)] += 1
        row[-1] += elapsed
    return response


@bp.route("/metrics")
@roles_required("admin")
def metrics() -> Response:
    lines = _request_lines() + _database_lines()
    return Response("\n".join(lines) + "\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _request_lines() -> list[str]:
    lines = ["# HELP madoguchi_http_requests_total HTTP requests by method, endpoint and status (this process).",
             "# TYPE madoguchi_http_requests_total counter"]
    with _lock:
        requests = dict(_requests)
        latency = {k: list(v) for k, v in _latency.items()}
    for (method, endpoint, status), n in sorted(requests.items()):
        lines.append(f'madoguchi_http_requests_total{{method="{method}",endpoint="{_label(endpoint)}",'
                     f'status="{status}"}} {n}')
    lines += ["# HELP madoguchi_http_request_seconds Request latency (this process).",
              "# TYPE madoguchi_http_request_seconds histogram"]
    for endpoint, row in sorted(latency.items()):
        name = _label(endpoint)
        for bound, n in zip(BUCKETS, row, strict=False):
            lines.append(f'madoguchi_http_request_seconds_bucket{{endpoint="{name}",le="{bound}"}} {int(n)}')
        lines.append(f'madoguchi_http_request_seconds_bucket{{endpoint="{name}",le="+Inf"}} {int(row[len(BUCKETS)])}')
        lines.append(f'madoguchi_http_request_seconds_count{{endpoint="{name}"}} {int(row[len(BUCKETS)])}')
        lines.append(f'madoguchi_http_request_seconds_sum{{endpoint="{name}"}} {row[-1]:.6f}')
    return lines


def _database_lines() -> list[str]:
    lines = ["# HELP madoguchi_tasks_ready User tasks waiting, by section (queue length).",
             "# TYPE madoguchi_tasks_ready gauge"]
    rows = db.session.execute(select(CaseTask.section_code, func.count()).where(CaseTask.state == "ready")
                              .group_by(CaseTask.section_code)).all()
    lines += [f'madoguchi_tasks_ready{{section="{_label(s or "")}"}} {n}' for s, n in rows]
    lines += ["# HELP madoguchi_job_runs_total Recorded scheduled-job runs by job and outcome.",
              "# TYPE madoguchi_job_runs_total counter"]
    rows = db.session.execute(select(JobRun.job_id, JobRun.status, func.count())
                              .group_by(JobRun.job_id, JobRun.status)).all()
    lines += [f'madoguchi_job_runs_total{{job="{_label(j)}",status="{_label(s)}"}} {n}' for j, s, n in rows]
    head = db.session.get(AuditChainHead, 1)
    lines += ["# HELP madoguchi_audit_log_last_seq Position of the newest operation-log entry.",
              "# TYPE madoguchi_audit_log_last_seq gauge",
              f"madoguchi_audit_log_last_seq {head.last_seq if head else 0}"]
    return lines
