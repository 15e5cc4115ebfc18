"""What bench/faults.py concludes after the faults, from the database and from what the clients saw: completions
lost or doubled, the stored workflows against the task table (``madoguchi check cases --all``), scheduled jobs run
twice, and how the requests during each PostgreSQL outage were answered and when they succeeded again."""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from bench.faults import Run

RECOVERY_WITHIN = 20.0  # seconds after PostgreSQL is back within which a request must succeed again
REPO = Path(__file__).resolve().parent.parent


def madoguchi(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The app's command (this interpreter's ``madoguchi``) on ``env``'s database, its output captured."""
    return subprocess.run([str(Path(sys.executable).parent / "madoguchi"), *args], env=env, cwd=REPO,
                          capture_output=True, text=True, check=False)


def _db_counts(url: str, acked: list[int]) -> dict[str, int]:
    from tests.support import postgres

    with psycopg.connect(postgres.libpq_url(url), autocommit=True) as conn:
        states = dict(conn.execute("SELECT id, state FROM case_tasks WHERE id = ANY(%s)", (list(set(acked)),)))
        logged = collections.Counter(dict(conn.execute(
            "SELECT target_id, count(*) FROM audit_log WHERE action = 'task.complete' AND target_type = 'task'"
            " GROUP BY target_id")))
        rows_twice = conn.execute("SELECT count(*) FROM (SELECT case_id, task_uuid FROM case_tasks"
                                  " GROUP BY case_id, task_uuid HAVING count(*) > 1) d").fetchone()[0]
        runs = conn.execute("SELECT job_id, started_at, status FROM job_runs WHERE trigger = 'schedule'").fetchall()
    acked_twice = sum(1 for n in collections.Counter(acked).values() if n > 1)
    # A slot is the minute the run started in (every scheduled job fires on whole minutes and takes seconds).
    # Only runs that succeeded count: a failed or interrupted run's work was rolled back with it.
    slots = collections.Counter((job, started.replace(second=0, microsecond=0)) for job, started, status in runs
                                if status == "succeeded")
    timers = sorted({slot for job, slot in slots if job == "cases.timers"})
    return {
        "timer slots missed": (int((timers[-1] - timers[0]).total_seconds() // 60) + 1 - len(timers)) if timers else 0,
        "acknowledged": len(set(acked)),
        "lost": sum(1 for task_id in set(acked) if states.get(task_id) != "completed"),
        "not logged": sum(1 for task_id in set(acked) if logged.get(str(task_id), 0) == 0),
        "doubled": acked_twice + sum(1 for n in logged.values() if n > 1) + rows_twice,
        "job runs": len(runs),
        "jobs run twice": sum(1 for n in slots.values() if n > 1),
        "runs left running": sum(1 for _, _, status in runs if status == "running"),
        "runs failed": sum(1 for _, _, status in runs if status == "failed"),
    }


def _inconsistent(env: dict[str, str]) -> tuple[int, str]:
    done = madoguchi(env, "check", "cases", "--all")
    findings = [line for line in done.stdout.splitlines() if line.startswith("案件 ")]
    return len(findings), (done.stdout + done.stderr).strip()


def _outage(run: Run) -> dict[str, Any]:
    """How requests were answered during each outage, and when they succeeded again afterwards."""
    during: list[collections.Counter[str]] = []
    recovered: list[float | None] = []
    failed_after = 0
    for down, up in run.outages:
        during.append(collections.Counter(status for t, _, status in run.record.requests if down <= t <= up))
        # The RECOVERY_WITHIN seconds after the start, before the next fault: the only ones that say whether
        # the app recovered from this one.
        window = [(t, status) for t, _, status in run.record.requests if up < t <= up + RECOVERY_WITHIN]
        after = [t for t, status in window if status.startswith("2")]
        recovered.append(min(after) - up if after else None)
        failed_after += sum(1 for _, status in window if not status.startswith(("2", "4")))
    return {"during": during, "recovered": recovered, "failed after": failed_after}


def verdict(run: Run) -> bool:
    """Count from the database and the clients' record, print the findings; True when nothing was lost,
    doubled or inconsistent, no job ran twice, the outages were answered 503 and the app recovered."""
    counts = _db_counts(run.db_url, run.record.acked)
    inconsistent, check_text = _inconsistent(run.env)
    statuses = collections.Counter(status for _, _, status in run.record.requests)
    outage = _outage(run)
    errors_500 = sum(n for status, n in statuses.items() if status.startswith("5") and status != "503")
    answered_503 = bool(run.outages) and all(during.get("503", 0) > 0 for during in outage["during"])
    hung = sum(during.get("timeout", 0) + during.get("connection", 0) for during in outage["during"])
    recovered = all(r is not None and r <= RECOVERY_WITHIN for r in outage["recovered"]) \
        and outage["failed after"] == 0
    print()
    print(f"requests: {sum(statuses.values())}  by status: {dict(sorted(statuses.items()))}")
    print(f"completions acknowledged (200): {counts['acknowledged']}")
    print(f"lost: {counts['lost']}   (acknowledged, task not completed; {counts['not logged']} not in the log)")
    print(f"doubled: {counts['doubled']}")
    print(f"inconsistent: {inconsistent}   (madoguchi check cases --all: {check_text.splitlines()[-1]})")
    print(f"scheduled job runs: {counts['job runs']}  run twice in one slot: {counts['jobs run twice']}  "
          f"left running: {counts['runs left running']}  failed (rolled back): {counts['runs failed']}")
    print(f"minutes without a cases.timers run between its first and last (a kill or an outage at the minute; "
          f"not judged): {counts['timer slots missed']}")
    print(f"500 (or other 5xx but 503): {errors_500}")
    print(f"/api/v1/health while PostgreSQL was down: {dict(collections.Counter(run.health))}")
    for i, (during, rec) in enumerate(zip(outage["during"], outage["recovered"], strict=True)):
        again = f"after {rec:.1f} s" if rec is not None else "NEVER"
        print(f"outage {i + 1}: requests answered {dict(sorted(during.items()))}; requests succeeded again "
              f"{again} (gunicorn not restarted)")
    print(f"requests failed in the {RECOVERY_WITHIN:.0f} s after PostgreSQL was back (5xx, no answer): "
          f"{outage['failed after']}")
    ok = (counts["lost"] == 0 and counts["not logged"] == 0 and counts["doubled"] == 0 and inconsistent == 0
          and counts["jobs run twice"] == 0 and counts["runs left running"] == 0 and errors_500 == 0
          and answered_503 and hung == 0 and recovered and counts["acknowledged"] > 0)
    print(f"faults: {'PASS' if ok else 'FAIL'}")
    return ok
