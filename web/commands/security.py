"""Operations commands: ``audit verify|archive``, ``backup``, ``restore``, ``handover``, ``purge-all``,
``mynumber rotate``."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core import audit_chain, backup, handover, maintenance, purge
from core.actor import SYSTEM
from core.db import db, utcnow
from core.errors import DomainError
from core.tx import atomic
from residents import mynumber

audit_cli = AppGroup("audit", help="The operation log: verify the hash chain, archive old entries.")
mynumber_cli = AppGroup("mynumber", help="My Number encryption keys.")


def _settings():  # noqa: ANN202 - the Settings dataclass
    return current_app.config["MADOGUCHI"]


def _print_report(report: audit_chain.Report, label: str) -> None:
    click.echo(f"{label}: {report.checked} entries checked (seq {report.first_seq}–{report.last_seq})")
    for problem in report.problems:
        click.echo(f"  NG {problem}")
    click.echo("OK: the chain is intact" if report.ok else f"NG: {len(report.problems)} problem(s)")


@audit_cli.command("verify")
@click.option("--archive", "archives", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Verify an archive file instead of the database (repeatable).")
def audit_verify(archives: tuple[Path, ...]) -> None:
    """Check every entry's hash and link; exit 1 and say where when anything was edited, deleted or reordered."""
    reports = [(str(p), audit_chain.verify_archive(p)) for p in archives] or [("database", audit_chain.verify())]
    for label, report in reports:
        _print_report(report, label)
    if not all(r.ok for _, r in reports):
        sys.exit(1)


@audit_cli.command("archive")
@click.option("--days", type=int, default=None, help="Keep this many days (default: the retention setting).")
def audit_archive(days: int | None) -> None:
    """Archive entries older than the retention period to a verifiable file, then purge them."""
    settings = _settings()
    before = utcnow() - timedelta(days=days if days is not None else settings.audit_retention_days)
    result = atomic(lambda: audit_chain.archive_and_purge(actor=SYSTEM, before=before,
                                                          out_dir=maintenance.archive_dir(settings)))
    click.echo(f"archived {result['count']} entries" + (f" to {result['path']}" if result["path"] else ""))


@click.command("backup")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--keep", type=int, default=None, help="Backups to keep (default: the setting).")
def backup_command(out_dir: Path | None, keep: int | None) -> None:
    """Back up the database now (SQLite online backup / pg_dump) and rotate old backups."""
    settings = _settings()
    out = out_dir or maintenance.backup_dir(settings)
    path = backup.backup(database_url=settings.database_url, out_dir=out)
    removed = backup.rotate(out_dir=out, keep=keep if keep is not None else settings.backup_keep)
    click.echo(f"backup: {path}")
    for old in removed:
        click.echo(f"rotated out: {old.name}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the database's content with a backup, then verify the operation log."""
    settings = _settings()
    if not yes:
        click.confirm(f"Replace all data in {db.engine.url.render_as_string(hide_password=True)}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(database_url=settings.database_url, path=file)
    except DomainError as err:
        raise click.ClickException(f"{err.message} {err.details}") from err
    db.engine.dispose()
    _print_report(audit_chain.verify(), "restored log")


@click.command("purge-all")
@click.option("--certify", "certificate", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the deletion certificate (JSON).")
@click.option("--operator", required=True, help="Who performs the deletion (named on the certificate).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_all_command(certificate: Path, operator: str, yes: bool) -> None:
    """End of contract: delete all data, backups and archives irrecoverably and write a certificate."""
    settings = _settings()
    if not yes:
        click.confirm("This deletes ALL data, backups and archives. Continue?", abort=True)
    db.session.close()  # purge_all works on connections of its own: the session must hold no transaction
    body = purge.purge_all(operator=operator, certificate=certificate,
                           file_dirs=[maintenance.backup_dir(settings), maintenance.archive_dir(settings)])
    click.echo(f"deleted {body['rows_deleted_total']} rows from {len(body['tables'])} tables, "
               f"{len(body['files_deleted'])} files; certificate: {certificate}")


@click.command("handover")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def handover_command(out: Path) -> None:
    """End of contract: export every table (CSV), documents (files) and log archives with a manifest."""
    manifest = atomic(lambda: handover.export(actor=SYSTEM, out=out, archive_dir=maintenance.archive_dir(_settings())))
    click.echo(f"exported {len(manifest['tables'])} tables, {sum(t['rows'] for t in manifest['tables'])} rows "
               f"to {out} (manifest.json)")


@mynumber_cli.command("rotate")
def mynumber_rotate() -> None:
    """Re-encrypt every stored My Number with the first key of MADOGUCHI_MYNUMBER_KEYS."""
    count = atomic(lambda: mynumber.rotate(actor=SYSTEM, settings=_settings()))
    click.echo(f"re-encrypted {count} numbers")


def register(app: Flask) -> None:
    for command in (audit_cli, mynumber_cli, backup_command, restore_command, purge_all_command,
                    handover_command):
        app.cli.add_command(command)
