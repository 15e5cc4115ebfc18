"""Commands for the process library and the case engine: deploy, export, fire timers."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from core.actor import Actor
from core.tx import atomic
from web.model_rules import deploy_files
from workflows import consistency, registry, runtime


def _cli_actor(role: str = "admin") -> Actor:
    return Actor(username="cli", role=role, terminal="cli")


def collect_model_files(paths: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """Every .bpmn/.dmn under the given files or folders, sorted, as (name, bytes)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        files.extend(sorted(p for p in path.rglob("*") if p.suffix in {".bpmn", ".dmn"}) if path.is_dir() else [path])
    return [(p.name, p.read_bytes()) for p in files]


def register(app: Flask) -> None:
    @app.cli.command("deploy")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
    def deploy_command(paths: tuple[str, ...]) -> None:
        """Validate and deploy BPMN/DMN files or folders as new versions."""
        files = collect_model_files(paths)
        versions = atomic(lambda: deploy_files(files=files, actor=_cli_actor()))
        for v in versions:
            click.echo(f"{v.kind} {v.key} v{v.version} ({v.content_hash[:12]}) from {v.file_name}")

    @app.cli.command("export-models")
    @click.argument("folder", type=click.Path(file_okay=False))
    def export_command(folder: str) -> None:
        """Write the newest deployed version of every model into FOLDER (for the city's own git)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, xml in registry.export_latest().items():
            (out / name).write_text(xml, encoding="utf-8")
            click.echo(out / name)

    @app.cli.command("fire-timers")
    def fire_timers_command() -> None:
        """Run every case whose timer is due (the scheduler does this every minute)."""
        fired = atomic(lambda: runtime.fire_due_timers(actor=_cli_actor()))
        click.echo(f"timers fired on {len(fired)} case(s)")

    @app.cli.group("check")
    def check_group() -> None:
        """Checks an operator runs after a fault."""

    @check_group.command("cases")
    @click.option("--all", "all_states", is_flag=True, help="Also completed and cancelled cases.")
    def check_cases_command(all_states: bool) -> None:
        """Every case's stored workflow agrees with its task table; no completion is logged twice."""
        found = 0
        for item in consistency.check_cases(state=None if all_states else "running"):
            found += 1
            click.echo(f"案件 {item.case_id}: {item.problem}")
        if found:
            raise click.ClickException(f"{found} 件の不整合があります")
        click.echo("不整合はありません")
