"""Scheduled imports: the business-day trigger, the lock, and a real APScheduler run of the job."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from core import calendar
from core.db import db
from integrations.imports import drop, generator
from integrations.imports.models import ImportRun
from integrations.scheduler import jobs, process, runner, schedules
from integrations.scheduler.models import JobRun, apscheduler_jobs
from residents.models import Resident
from tests.conftest import actor

JOB = "residents.import_drop"


@pytest.mark.parametrize(("after", "expected"), [
    ("2026-11-26T07:00:00+09:00", "2026-11-27T06:30:00+09:00"),  # Thursday → Friday
    ("2026-11-27T07:00:00+09:00", "2026-11-30T06:30:00+09:00"),  # Friday → Monday
    ("2026-12-28T07:00:00+09:00", "2027-01-04T06:30:00+09:00"),  # 年末年始 29 Dec – 3 Jan
    ("2027-04-30T07:00:00+09:00", "2027-05-06T06:30:00+09:00"),  # Golden Week (3–5 May holidays)
])
def test_trigger_fires_at_0630_on_business_days_only(after: str, expected: str) -> None:
    trigger = jobs.JOBS[0].trigger()
    fire = trigger.get_next_fire_time(None, datetime.fromisoformat(after))
    assert fire == datetime.fromisoformat(expected)


def test_drop_file_names_choose_source_and_mode() -> None:
    assert drop.source_and_mode("kikan.diff.20261126.csv") == ("kikan", "diff")
    assert drop.source_and_mode("example_fixed.full.x.dat") == ("example_fixed", "full")
    assert drop.source_and_mode("jumin_diff_1126.csv") == ("kikan", "diff")
    assert drop.source_and_mode("all.csv") == ("kikan", "full")


def test_one_scheduler_per_deployment(app: Flask) -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert process.acquire_lock(holder="a", now=now)
    assert not process.acquire_lock(holder="b", now=now + timedelta(seconds=30))
    assert process.acquire_lock(holder="a", now=now + timedelta(seconds=30))  # heartbeat
    assert process.acquire_lock(holder="b", now=now + timedelta(seconds=200))  # a went silent
    assert process.lock_holder().holder == "b"
    process.release_lock(holder="b")
    assert process.lock_holder() is None


def test_manual_run_with_an_empty_folder_is_recorded(app: Flask) -> None:
    run = runner.execute(JOB, trigger="manual", actor=actor("admin"), settings=app.config["MADOGUCHI"])
    assert run.status == "succeeded" and "取込ファイルはありません" in run.message
    assert [r.id for r in runner.runs(JOB)] == [run.id]


def test_the_job_runs_through_apscheduler_and_imports_the_drop_folder(app: Flask) -> None:
    settings = app.config["MADOGUCHI"]
    folder = drop.drop_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kikan.full.001.csv").write_bytes(generator.csv_bytes(list(generator.generate(25, seed=4))))
    (folder / "kikan.full.002.csv").write_bytes(b"jumin_code,setai_no,name,birth_date\r\n1,2,3,4\r\n")
    db.session.commit()
    sched = process.build_scheduler(context=app.app_context, settings=settings, engine=db.engine)
    sched.start(paused=True)
    try:
        process.sync_jobs(sched)
        stored = db.session.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time)).all()
        db.session.rollback()
        assert {row.id for row in stored} == {spec.id for spec in jobs.JOBS}
        planned = datetime.fromtimestamp(dict(stored)[JOB], schedules.JST)
        assert (planned.hour, planned.minute) == (6, 30) and calendar.is_business_day(planned.date())
        sched.add_job(process.run_scheduled, "date", run_date=datetime.now(UTC) + timedelta(seconds=0.2),
                      args=[JOB], id="test-now")
        sched.resume()
        run = _wait_for_run()
    finally:
        sched.shutdown(wait=True)
    assert run.trigger == "schedule" and run.started_by == "system"
    assert run.status == "failed"  # the second file is rejected; the first is imported
    assert "001.csv: succeeded" in run.message and "002.csv: rejected" in run.message
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 25
    assert {r.trigger for r in db.session.scalars(select(ImportRun))} == {"scheduler"}
    assert sorted(p.name.split("_", 1)[1] for p in (folder / "done").iterdir()) == ["kikan.full.001.csv"]
    assert len(list((folder / "rejected").iterdir())) == 1
    assert not list(folder.glob("*.csv"))


def _wait_for_run() -> JobRun:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        db.session.rollback()  # end the read transaction so the job thread's commit is visible
        # The first run the scheduler finished: should APScheduler fire the date job twice (seen once under load),
        # the second finds the folder empty; this test is about the first.
        run = db.session.scalar(select(JobRun).where(JobRun.status != "running").order_by(JobRun.id))
        if run is not None:
            return run
        time.sleep(0.05)
    raise AssertionError("the scheduled job did not record a run within 5 s")


def test_drop_folder_files_move_only_once_the_job_is_stored(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job whose commit fails leaves its files where they were: the next run imports them again."""
    settings = app.config["MADOGUCHI"]
    folder = drop.drop_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    done_before = set((folder / "done").glob("*")) if (folder / "done").exists() else set()
    (folder / "kikan.full.009.csv").write_bytes(generator.csv_bytes(list(generator.generate(10, seed=5))))
    real_commit = db.session.commit
    calls = {"n": 0}

    def failing_commit() -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the job's own commit; the failed run is recorded by the next one
            raise OSError("the database went away")
        real_commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    run = runner.execute(JOB, trigger="manual", actor=actor("admin"), settings=settings)
    monkeypatch.undo()
    assert run.status == "failed" and "went away" in run.message
    assert [p.name for p in folder.glob("*.csv")] == ["kikan.full.009.csv"]
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 0
    again = runner.execute(JOB, trigger="manual", actor=actor("admin"), settings=settings)
    assert again.status == "succeeded"
    assert db.session.scalar(select(func.count()).select_from(Resident)) == 10
    moved = set((folder / "done").glob("*")) - done_before
    assert not list(folder.glob("*.csv")) and [p.name.split("_", 1)[1] for p in moved] == ["kikan.full.009.csv"]


def test_a_killed_schedulers_lock_is_taken_over_at_once(app: Flask) -> None:
    """A scheduler killed with SIGKILL leaves its lock with a fresh heartbeat; its successor on the same host
    takes it over at once, since the holder's process is gone (bench/faults.py kills one mid-load)."""
    import socket
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    now = datetime(2026, 11, 26, tzinfo=UTC)
    gone = f"{socket.gethostname()}:{dead.stdout.strip()}"
    assert process.holder_is_gone(gone)
    assert process.acquire_lock(holder=gone, now=now)
    assert process.acquire_lock(holder=process.holder_name(), now=now + timedelta(seconds=5))
    assert process.lock_holder().holder == process.holder_name()
    # A live holder (this process) or one on another host still makes its successor wait.
    assert not process.acquire_lock(holder=gone, now=now + timedelta(seconds=10))
    process.release_lock(holder=process.holder_name())
    elsewhere = f"another-host:{dead.stdout.strip()}"
    assert not process.holder_is_gone(elsewhere)
    assert process.acquire_lock(holder=elsewhere, now=now)
    assert not process.acquire_lock(holder=process.holder_name(), now=now + timedelta(seconds=5))
    process.release_lock(holder=elsewhere)


def test_a_run_the_database_dropped_mid_job_is_closed_and_refuses_nothing(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL restarting while a job runs: the job fails, and so do its rollback and the record of its
    failure. Its ``running`` row used to stay and refuse the job for two hours (bench/faults.py found one)."""
    import dataclasses

    from sqlalchemy.exc import OperationalError

    from core import tx

    settings = app.config["MADOGUCHI"]
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    def gone(**_kwargs: object) -> tuple[str, str]:
        raise lost

    real_rollback, calls = tx.rollback, {"n": 0}

    def rollback_while_down() -> None:
        calls["n"] += 1
        real_rollback()
        if calls["n"] == 1:
            raise lost

    spec = jobs.get_spec(JOB)
    monkeypatch.setattr(runner, "get_spec", lambda _id: dataclasses.replace(spec, func=gone))
    monkeypatch.setattr(tx, "rollback", rollback_while_down)
    with pytest.raises(OperationalError):
        runner.execute(JOB, trigger="schedule", actor=actor("admin"), settings=settings)
    [left] = db.session.scalars(select(JobRun)).all()
    assert left.status == "running"
    monkeypatch.undo()

    run = runner.execute(JOB, trigger="schedule", actor=actor("admin"), settings=settings)  # not refused
    assert run.status == "succeeded"
    db.session.expire_all()
    assert db.session.get(JobRun, left.id).status == "failed"
    assert "データベースに接続できず中断しました" in db.session.get(JobRun, left.id).message


def test_a_new_scheduler_closes_the_runs_a_killed_one_left_running(app: Flask) -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    db.session.add_all([JobRun(job_id=JOB, trigger="schedule", started_by="system", started_at=now),
                        JobRun(job_id=JOB, trigger="manual", started_by="admin", started_at=now)])
    db.session.commit()
    assert runner.close_interrupted(now=now) == 1
    db.session.expire_all()
    runs = {r.trigger: r for r in db.session.scalars(select(JobRun))}
    assert runs["schedule"].status == "failed" and "スケジューラの停止" in runs["schedule"].message
    assert runs["manual"].status == "running"  # a run an administrator started from a web worker is not ours


def test_the_scheduler_records_a_dropped_run_as_failed_once_the_database_is_back(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose failure the database could not take (it was restarting) is closed within seconds by the
    scheduler's retry, not at the next heartbeat or minute's job (bench/faults.py --quick saw one left running
    20 s after PostgreSQL came back)."""
    left = JobRun(job_id=JOB, trigger="schedule", started_by="system", started_at=datetime.now(UTC))
    db.session.add(left)
    db.session.commit()
    monkeypatch.setattr(runner, "_unrecorded", {left.id: "OperationalError: server closed the connection"})
    monkeypatch.setattr(process, "RETRY_CLOSE_SECONDS", 0.2)
    sched = process.build_scheduler(context=app.app_context, settings=app.config["MADOGUCHI"], engine=db.engine)
    sched.start(paused=True)
    try:
        process.add_heartbeat(sched, holder=process.holder_name())
        sched.resume()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and runner.has_unrecorded():
            time.sleep(0.05)
    finally:
        sched.shutdown(wait=True)
    db.session.expire_all()
    closed = db.session.get(JobRun, left.id)
    assert closed.status == "failed" and "データベースに接続できず中断しました" in closed.message
    assert not runner.has_unrecorded()
