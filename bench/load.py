"""Load bench: 50 terminals of a city hall against the app served as production serves it.

    python bench/load.py [--quick] [--check] [--users 50] [--duration 120] [--workers 4] [--database postgres]

It makes a throwaway database (PostgreSQL by default, found or started as the tests do; ``--database sqlite``
for a file), loads the demo (synthetic residents, users, the journeys), starts gunicorn with ``--workers`` and runs
``bench/locustfile.py`` headless: counter clerks running visits to the hand-over, section staff refreshing and
completing their inbox, a manager reading the dashboard, each with a ~3 s think time. It prints p50/p95/p99 and
errors per endpoint. ``--check`` exits 1 unless every endpoint has p95 ≤ 200 ms, p99 ≤ 500 ms and no error.
``--quick``: 10 terminals for 30 s (a smoke run of the bench itself; its numbers are not the goal's).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
BIN = Path(sys.executable).parent
GOALS = {"p95": 200.0, "p99": 500.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(kind: str, workdir: Path) -> tuple[str, object]:
    """A fresh database URL and a function that drops it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'load.sqlite3'}", lambda: None
    import psycopg

    from tests.support import postgres

    base = postgres.server_url()
    name = f"madoguchi_load_{os.getpid()}"
    with psycopg.connect(postgres.libpq_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(postgres.libpq_url(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return postgres.with_database(base, name), drop


def _serve(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    for step in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "madoguchi"), *step], env=env, cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                               "--timeout", "120", "web.app:create_app()"],
                              env=env, cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2):
                return server
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    server.kill()
    raise SystemExit(f"load: the server did not answer in 90 s; see {log}")


def _stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]


def _report(rows: list[dict[str, str]], seconds: float) -> bool:
    """Print the per-endpoint table; True when every endpoint meets the goals."""
    ok = True
    print(f"{'endpoint':48} {'n':>6} {'err':>4} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in sorted(rows, key=lambda r: r["Name"]):
        p50, p95, p99 = (float(row[k]) for k in ("50%", "95%", "99%"))
        failures = int(row["Failure Count"])
        good = p95 <= GOALS["p95"] and p99 <= GOALS["p99"] and failures == 0
        ok &= good
        print(f"{row['Name'][:48]:48} {row['Request Count']:>6} {failures:>4} {p50:6.0f} {p95:6.0f} {p99:6.0f}"
              f"  {'ok' if good else 'MISSED'}")
    total = sum(int(r["Request Count"]) for r in rows)
    print(f"{total} requests in {seconds:.0f} s: {total / seconds:.1f} req/s")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--users", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    users = args.users or (10 if args.quick else 50)
    duration = args.duration or (30 if args.quick else 120)
    workdir = Path(tempfile.mkdtemp(prefix="madoguchi-load-"))
    url, drop = _database(args.database, workdir)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "MADOGUCHI_DEMO": "1", "PYTHONPATH": str(REPO)}
    server = _serve(env, port, args.workers, workdir / "gunicorn.log")
    try:
        print(f"load: {users} terminals for {duration} s against gunicorn -w {args.workers} on {args.database}")
        started = time.monotonic()
        subprocess.run([str(BIN / "locust"), "-f", str(REPO / "bench" / "locustfile.py"), "--headless",
                        "-u", str(users), "-r", str(max(1, users // 5)), "-t", f"{duration}s",
                        "--host", f"http://127.0.0.1:{port}", "--csv", str(workdir / "load"), "--only-summary",
                        "--loglevel", "WARNING"], env=env, cwd=REPO, check=False,
                       stdout=subprocess.DEVNULL, stderr=(workdir / "locust.log").open("w"))
        ok = _report(_stats(workdir / "load"), time.monotonic() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop()
    shutil.rmtree(workdir, ignore_errors=True) if ok else print(f"load: logs kept in {workdir}")
    if args.check and not ok:
        print("load: MISSED the goals (p95 ≤ 200 ms, p99 ≤ 500 ms, 0 errors per endpoint)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
