"""Fault bench: kill a worker, kill the scheduler, restart PostgreSQL — all mid-load — and prove nothing was lost.

    python bench/faults.py [--quick] [--check] [--workers 3] [--clients 8]

It starts a PostgreSQL cluster of its own (``initdb`` in a temporary folder, its own port: the machine's server is
never touched), loads the demo, serves the app with gunicorn (``--workers``) and runs the scheduler process. Threads
of section staff complete the tasks of their inbox and counter clerks start 転入 visits (whose interview, once
completed, sends tasks to the sections), each remembering every completion it got a 200 for and every request's
status. Mid-load, in sequence: one gunicorn worker is killed with SIGKILL; the scheduler is killed with SIGKILL
at a minute boundary (when the every-minute job fires) and started again; PostgreSQL is stopped (``-m fast``),
left down for a few seconds, and started again. gunicorn is never restarted.

Afterwards it counts, from the database:

* **lost**: completions acknowledged with 200 whose task is not completed;
* **doubled**: a task acknowledged to two requests, a ``task.complete`` logged twice for one task, two task rows
  for one engine task;
* **inconsistent**: the findings of ``madoguchi check cases --all``;
* **jobs run twice**: two scheduled runs of one job in one schedule slot (its minute), and runs left ``running``;
* the outage: how the requests sent while PostgreSQL was down were answered (503 expected, not 500 nor a hang
  beyond the client's timeout), and whether requests succeeded again afterwards by themselves.

``--check`` exits 1 unless lost, doubled, inconsistent, jobs run twice and 500s are all 0, the outage was answered
with 503 and the app recovered. ``--quick``: one round of the three faults (about 2 minutes with set-up);
without it, three rounds.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.answers import answers  # noqa: E402
from bench.faults_verdict import RECOVERY_WITHIN, madoguchi, verdict  # noqa: E402
from tests.support import serving  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = os.environ.get("MADOGUCHI_DEMO_PASSWORD", "demo")
SECTIONS = ["shimin", "hoken", "kodomo", "gakko", "kourei", "zeimu"]
SEARCHES = ["タ", "サ", "ヤマ", "スズ", "イ", "カ", "ナカ", "コ"]
TIMEOUT = 10.0  # the client's timeout: an answer later than this counts as a hang
OUTAGE_SECONDS = 4.0


# --- the cluster, the app, the scheduler --------------------------------------------------------------------


class Cluster:
    """A throwaway cluster (tests/support/postgres.py) restarted with durable commits, and restartable."""

    def __init__(self) -> None:
        from tests.support import postgres

        self._cluster = postgres.ThrowawayCluster.start()
        # The tests' cluster runs with synchronous_commit=off: a commit acknowledged before its WAL is written
        # could vanish in a crash, which is what this bench must not excuse. fsync stays off: only an operating
        # system crash needs it, and none is simulated here.
        self._cluster.stop_server()
        self._cluster.start_server(self._cluster.options.replace("synchronous_commit=off", "synchronous_commit=on"))
        self.url = self._cluster.url

    def stop(self) -> None:
        self._cluster.stop_server()

    def start(self) -> None:
        self._cluster.start_server()

    def remove(self) -> None:
        self._cluster.stop()


def _serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    for step in (["db", "upgrade"], ["demo"]):
        done = madoguchi(env, *step)
        if done.returncode != 0:
            raise SystemExit(f"faults: madoguchi {' '.join(step)} failed:\n{done.stderr[-2000:]}")
    args = ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30", "web.app:create_app()"]
    try:
        return serving.serve(env, workers=workers, log=log, port=port, args=args)[0]
    except serving.NotServing as exc:
        raise SystemExit(f"faults: {exc}") from None


def _workers(master: int) -> list[int]:
    """The gunicorn worker processes: the master's children."""
    path = Path(f"/proc/{master}/task/{master}/children")
    if path.exists():
        return [int(pid) for pid in path.read_text().split()]
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            found.append(int(stat.parent.name))
    return found


def _start_scheduler(env: dict[str, str], log: Path, *, wait: float = 150.0) -> tuple[subprocess.Popen, float]:
    """Start ``madoguchi scheduler`` and return it once it holds the lock, with the seconds that took (a
    successor of a killed scheduler may have to wait for the lock; the command exits then, and is started
    again, as a service manager would)."""
    started = time.monotonic()
    while time.monotonic() - started < wait:
        seen = log.stat().st_size if log.exists() else 0
        proc = subprocess.Popen([str(BIN / "madoguchi"), "scheduler"], env=env, cwd=REPO,
                                stdout=log.open("a"), stderr=subprocess.STDOUT)
        for _ in range(60):  # the command prints the jobs' next run times once it holds the lock
            if proc.poll() is not None:
                break
            if ": next " in log.read_bytes()[seen:].decode(errors="replace"):
                return proc, time.monotonic() - started
            time.sleep(0.25)
        if proc.poll() is None:
            return proc, time.monotonic() - started
        time.sleep(2)
    raise SystemExit(f"faults: the scheduler did not get its lock in {wait:.0f} s; see {log}")


# --- the load ------------------------------------------------------------------------------------------------


@dataclass
class Record:
    """What the clients saw: every request's status and every acknowledged completion."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, what, status)
    acked: list[int] = field(default_factory=list)  # task ids completed with a 200

    def note(self, what: str, status: str) -> None:
        with self.lock:
            self.requests.append((time.monotonic(), what, status))


class Client(threading.Thread):
    """One terminal: a clerk starting 転入 visits, or section staff completing their inbox."""

    def __init__(self, base: str, username: str, record: Record, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.username, self.record, self.stop = base, username, record, stop
        self.http = requests.Session()

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response | None:
        try:
            response = self.http.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
        except requests.Timeout:
            self.record.note(what, "timeout")
            return None
        except requests.ConnectionError:
            self.record.note(what, "connection")
            return None
        self.record.note(what, str(response.status_code))
        return response

    def login(self) -> bool:
        r = self.call("POST", "/api/v1/auth/token", "token", json={"username": self.username, "password": PASSWORD})
        if r is None or r.status_code not in (200, 201):
            return False
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return True

    def complete(self, task_id: int, what: str) -> None:
        r = self.call("GET", f"/api/v1/tasks/{task_id}/questions", "questions")
        if r is None or r.status_code != 200:
            return
        done = self.call("POST", f"/api/v1/tasks/{task_id}/complete", what, json={"data": answers(r.json()["fields"])})
        if done is not None and done.status_code == 200:
            with self.record.lock:
                self.record.acked.append(task_id)

    def step(self) -> None:
        if self.username == "counter":
            self.visit()
            return
        r = self.call("GET", "/api/v1/tasks", "inbox", params={"section": self.username, "state": "ready"})
        if r is not None and r.status_code == 200 and r.json():
            self.complete(random.choice(r.json())["id"], "complete")

    def visit(self) -> None:
        r = self.call("GET", "/api/v1/residents", "search", params={"q": random.choice(SEARCHES), "limit": 20})
        if r is None or r.status_code != 200:
            return
        candidates = [h for h in r.json() if not h.get("protection")]
        if not candidates:
            return
        resident = random.choice(candidates)
        body = {"process_key": "journey_tennyu", "resident_id": resident["id"], "members": [resident["id"]],
                "events": ["tennyu"]}
        r = self.call("POST", "/api/v1/cases", "start visit", json=body)
        if r is None or r.status_code != 201:
            return
        for task in [t for t in r.json()["tasks"] if t["state"] == "ready"]:
            self.complete(task["id"], "complete interview")

    def run(self) -> None:
        while not self.stop.is_set() and not self.login():
            time.sleep(1)
        while not self.stop.is_set():
            self.step()
            time.sleep(random.uniform(0.2, 0.8))


# --- the faults ----------------------------------------------------------------------------------------------


@dataclass
class Run:
    env: dict[str, str]
    base: str
    server: subprocess.Popen
    scheduler: subprocess.Popen
    cluster: Cluster
    db_url: str
    workdir: Path
    record: Record
    events: list[str] = field(default_factory=list)
    outages: list[tuple[float, float]] = field(default_factory=list)  # PostgreSQL down: (stop sent, start done)
    health: list[str] = field(default_factory=list)  # /api/v1/health answers during the outages

    def say(self, text: str) -> None:
        self.events.append(text)
        print(f"faults: {text}", flush=True)


def kill_worker(run: Run) -> None:
    workers = _workers(run.server.pid)
    victim = random.choice(workers)
    os.kill(victim, signal.SIGKILL)
    run.say(f"killed gunicorn worker {victim} with SIGKILL ({len(workers)} workers)")
    time.sleep(8)
    run.say(f"gunicorn has {len(_workers(run.server.pid))} workers again (master {run.server.pid} untouched)")


def kill_scheduler(run: Run) -> None:
    # At a minute boundary the every-minute job (cases.timers) fires: kill it while that run may be under way.
    now = time.time()
    time.sleep(60 - now % 60 + 0.05)
    run.scheduler.send_signal(signal.SIGKILL)
    run.scheduler.wait()
    run.say("killed the scheduler with SIGKILL just after a minute's jobs fired")
    time.sleep(2)
    log = run.workdir / "scheduler.log"
    seen = log.stat().st_size
    run.scheduler, took = _start_scheduler(run.env, log)
    closed = [line for line in log.read_bytes()[seen:].decode(errors="replace").splitlines()
              if "recorded as failed" in line]
    run.say(f"scheduler started again; it held the lock after {took:.1f} s"
            + (f"; {closed[0]}" if closed else "; no run was left running"))


def restart_postgres(run: Run) -> None:
    stop_sent = time.monotonic()
    run.cluster.stop()
    run.say("PostgreSQL stopped (pg_ctl stop -m fast)")
    until = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < until:
        try:
            run.health.append(str(requests.get(run.base + "/api/v1/health", timeout=TIMEOUT).status_code))
        except requests.RequestException as err:
            run.health.append(type(err).__name__)
        time.sleep(0.5)
    run.cluster.start()
    run.outages.append((stop_sent, time.monotonic()))
    run.say(f"PostgreSQL started again after {time.monotonic() - stop_sent:.1f} s")
    time.sleep(RECOVERY_WITHIN)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-faults-"))
    cluster = Cluster()
    ok = False
    server = scheduler = None
    try:
        from tests.support import postgres

        url = postgres.create_database(cluster.url, "faults")
        env = {**os.environ, "DATABASE_URL": url, "MADOGUCHI_DEMO": "1", "PYTHONPATH": str(REPO),
               "MADOGUCHI_VAR_DIR": str(workdir / "var")}
        port = serving.free_port()
        server = _serve(env, port, args.workers, workdir / "gunicorn.log")
        scheduler, _ = _start_scheduler(env, workdir / "scheduler.log")
        record, stop = Record(), threading.Event()
        run = Run(env=env, base=f"http://127.0.0.1:{port}", server=server, scheduler=scheduler, cluster=cluster,
                  db_url=url, workdir=workdir, record=record)
        names = ["counter"] * max(1, args.clients // 3) + SECTIONS
        clients = [Client(run.base, names[i % len(names)], record, stop) for i in range(args.clients)]
        run.say(f"{len(clients)} clients against gunicorn -w {args.workers}, the scheduler, PostgreSQL "
                f"{cluster.url.rsplit('@', 1)[1]}; {rounds} round(s) of faults")
        for client in clients:
            client.start()
        time.sleep(10)
        for _ in range(rounds):
            kill_worker(run)
            kill_scheduler(run)
            restart_postgres(run)
        stop.set()
        for client in clients:
            client.join(timeout=TIMEOUT + 5)
        time.sleep(1)
        ok = verdict(run)
        scheduler = run.scheduler
    finally:
        for proc in (scheduler, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        cluster.remove()
    shutil.rmtree(workdir, ignore_errors=True) if ok else print(f"faults: logs kept in {workdir}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
