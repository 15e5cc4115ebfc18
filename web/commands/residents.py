"""Commands for the resident DB: generate synthetic data, import a file, run the scheduler or a job."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app

from core.actor import Actor
from core.db import db
from core.tx import atomic
from integrations.imports import drop, generator, importer
from integrations.scheduler import process, runner


def _cli_actor() -> Actor:
    return Actor(username="cli", role="admin", terminal="cli")


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return max(0, sum(1 for _ in handle) - 1)


def import_path(path: Path, *, source: str, mode: str, actor: Actor, trigger: str = "cli",
                confirm_deletions: bool = False) -> Any:
    """Import one file with a progress bar (rows parsed, then rows staged) and commit the run."""
    settings = current_app.config["MADOGUCHI"]
    data = path.read_bytes()
    total = _lines(path) * 2  # parsed + staged
    with click.progressbar(length=total, label=f"{path.name} を取込中") as bar:
        try:
            return atomic(lambda: drop.import_file(data=data, filename=path.name, source=source, mode=mode,
                                                   actor=actor, settings=settings, trigger=trigger,
                                                   progress=bar.update, confirm_deletions=confirm_deletions))
        except importer.DeletionsNeedConfirmation as err:
            raise click.ClickException(f"{err.message}（--confirm-deletions で取り込みます）") from err


def run_scheduler(app: Flask) -> None:
    """Hold the deployment's lock, start APScheduler with the job list, block until stopped."""
    holder = process.holder_name()
    if not process.acquire_lock(holder=holder):
        lock = process.lock_holder()
        raise click.ClickException(f"another scheduler holds the lock: {lock.holder if lock else '?'}")
    interrupted = runner.close_interrupted()
    if interrupted:
        click.echo(f"{interrupted} scheduled run(s) left running by a stopped scheduler recorded as failed")
    sched = process.build_scheduler(context=app.app_context, settings=app.config["MADOGUCHI"], engine=db.engine)
    sched.start(paused=True)
    process.sync_jobs(sched)
    process.add_heartbeat(sched, holder=holder)
    sched.resume()
    for job in sched.get_jobs():
        click.echo(f"{job.id}: next {job.next_run_time}")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        while sched.running and not stop["now"]:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if sched.running:
            sched.shutdown()
        process.release_lock(holder=holder)
        click.echo("scheduler stopped")


def register(app: Flask) -> None:
    @app.cli.command("generate-residents")
    @click.option("--count", type=click.IntRange(min=1), required=True, help="number of residents")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.option("--seed", type=int, default=0, show_default=True)
    @click.option("--encoding", type=click.Choice(["utf-8", "cp932"]), default="utf-8", show_default=True)
    def generate_command(count: int, out: Path, seed: int, encoding: str) -> None:
        """Write COUNT synthetic 山口市 residents in the canonical CSV layout (deterministic from SEED)."""
        out.parent.mkdir(parents=True, exist_ok=True)
        written = generator.write_file(out, count, seed=seed, encoding=encoding)
        click.echo(f"{written} residents written to {out}")

    @app.cli.command("import-residents")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", default="kikan", show_default=True, help="source name (selects <source>.yaml)")
    @click.option("--mode", type=click.Choice(importer.MODES), default="full", show_default=True)
    @click.option("--confirm-deletions", is_flag=True, help="a full import may delete more than 5 % of residents")
    def import_command(file: Path, source: str, mode: str, confirm_deletions: bool) -> None:
        """Import a core-system file (canonical CSV, or per the source's mapping file)."""
        run = import_path(file, source=source, mode=mode, actor=_cli_actor(), confirm_deletions=confirm_deletions)
        click.echo(f"run {run.id}: {run.status} read={run.rows_read} inserted={run.inserted} "
                   f"updated={run.updated} deleted={run.deleted} unchanged={run.unchanged} rejected={run.rejected}")
        for error in importer.errors_of(run)[:50]:
            click.echo(f"  line {error['line']}: {error['reason']}", err=True)
        if run.status != "succeeded":
            raise click.exceptions.Exit(1)

    @app.cli.command("scheduler")
    def scheduler_command() -> None:
        """Run the job scheduler in the foreground (one per deployment; Ctrl-C stops it)."""
        run_scheduler(app)

    _register_jobs(app)


def _register_jobs(app: Flask) -> None:
    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Scheduled jobs."""

    @jobs_group.command("list")
    def jobs_list() -> None:
        """Every job with its schedule and last run."""
        for job in runner.list_jobs():
            last = job["last_run"]
            click.echo(f"{job['id']}  {job['schedule']}  next={job['next_run_at']}  "
                       f"last={last.status + ' ' + str(last.started_at) if last else '-'}")

    @jobs_group.command("run")
    @click.argument("job_id")
    def jobs_run(job_id: str) -> None:
        """Run job JOB_ID now and record the run."""
        run = runner.execute(job_id, trigger="manual", actor=_cli_actor(), settings=app.config["MADOGUCHI"])
        click.echo(f"run {run.id}: {run.status}\n{run.message or ''}")
        if run.status == "failed":
            raise click.exceptions.Exit(1)
