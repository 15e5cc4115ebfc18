"""Capacity: task completions per second through HTTP at saturation.

    .venv/bin/python bench/capacity.py [--quick] [--check] [--backend postgres|sqlite] [--workers N] [--clients N]

A throwaway database (bench/harness.py) with the journeys deployed and ``--cases`` cases of the engine's 転入
fixture started, each with its reception task ready; gunicorn serves it with the production settings
(web/gunicorn_conf.py, ``--workers``); ``--clients`` threads, each with its own bearer token and kept-alive
connection, complete the reception tasks back to back through ``POST /api/v1/tasks/{id}/complete`` (each
completion validates the form, runs the engine on to the three sections' tasks and commits). It prints the
completions per second, their p50/p95 and any error; ``--check`` exits 1 below the goal of issue 21 (≥ 100
completions/s on this 2-core machine). The clients run on the same cores as the server: they take their share.
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402

from bench.engine import RECEPTION  # noqa: E402
from bench.harness import PASSWORD, Stats, actor, backend_app  # noqa: E402
from core.db import db  # noqa: E402
from core.tx import atomic  # noqa: E402
from tests.support import serving  # noqa: E402
from workflows import runtime  # noqa: E402

GOAL_PER_SECOND = 100.0


def _reception_tasks(count: int) -> list[int]:
    ids = []
    for _ in range(count):
        case = atomic(lambda: runtime.start_case(process_key="tennyu", actor=actor("counter")))
        ids.append(next(t.id for t in case.tasks if t.state == "ready"))
    db.session.remove()
    return ids


def _serve(url: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": url, "MADOGUCHI_DEMO": "1", "MADOGUCHI_DEMO_PASSWORD": PASSWORD,
           "MADOGUCHI_ACCESS_LOG": os.devnull}
    try:
        server, port = serving.serve(env, workers=workers, log=log)
    except serving.NotServing as exc:
        raise SystemExit(f"capacity: {exc}") from None
    return server, f"http://127.0.0.1:{port}"


def _complete_all(base: str, tasks: list[int], clients: int) -> tuple[list[float], list[str], float]:
    """Complete every task of ``tasks`` with ``clients`` threads; the latencies, the errors, the wall time."""
    todo: queue.Queue[int] = queue.Queue()
    for task_id in tasks:
        todo.put(task_id)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    sessions = []
    for _ in range(clients):
        session = requests.Session()
        token = session.post(f"{base}/api/v1/auth/token", json={"username": "counter", "password": PASSWORD},
                             timeout=30).json()["token"]
        session.headers["Authorization"] = f"Bearer {token}"
        sessions.append(session)

    def work(session: requests.Session) -> None:
        while True:
            try:
                task_id = todo.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            response = session.post(f"{base}/api/v1/tasks/{task_id}/complete", json={"data": RECEPTION}, timeout=60)
            took = time.perf_counter() - started
            with lock:
                if response.status_code == 200:
                    latencies.append(took)
                else:
                    errors.append(f"{response.status_code} {response.text[:120]}")

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return latencies, errors, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 cases instead of 2,000")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--cases", type=int)
    args = parser.parse_args()
    cases = args.cases or (300 if args.quick else 2000)
    with tempfile.TemporaryDirectory(prefix="madoguchi-capacity-") as tmp, backend_app(args.backend) as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        started = time.perf_counter()
        tasks = _reception_tasks(cases)
        print(f"capacity: {cases} cases started in {time.perf_counter() - started:.0f} s on {args.backend}")
        server, base = _serve(url, args.workers, Path(tmp) / "gunicorn.log")
        try:
            latencies, errors, elapsed = _complete_all(base, tasks, args.clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rate = len(latencies) / elapsed
    stats = Stats.of(latencies)
    print(f"capacity: {len(latencies)} completions through HTTP in {elapsed:.1f} s with {args.clients} clients, "
          f"gunicorn {args.workers} workers: {rate:.1f} completions/s; p50 {stats.p50:.0f} ms, "
          f"p95 {stats.p95:.0f} ms; {len(errors)} errors")
    for error in errors[:5]:
        print(f"  error: {error}")
    good = rate >= GOAL_PER_SECOND and not errors
    print(f"goal: ≥ {GOAL_PER_SECOND:.0f} completions/s, 0 errors: {'PASS' if good else 'MISS'}")
    return 1 if args.check and not good else 0


if __name__ == "__main__":
    sys.exit(main())
