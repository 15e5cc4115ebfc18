"""``madoguchi demo``: sections, demo users and the journey library, ready to log in."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from core import demo, users
from core.actor import Actor
from core.tx import atomic
from integrations.imports import demo as residents_demo
from web.commands.engine import collect_model_files
from web.model_rules import deploy_files


def register(app: Flask) -> None:
    @app.cli.command("demo")
    def demo_command() -> None:
        """Create sections, demo users (demo mode only) and deploy the bpmn/ library."""
        settings = current_app.config["MADOGUCHI"]
        if not settings.demo:
            raise click.ClickException("demo users need MADOGUCHI_DEMO=1 (never in production)")
        atomic(demo.load_sections)
        atomic(lambda: demo.create_demo_users(password=settings.demo_password))
        atomic(demo.create_demo_counters)
        files = collect_model_files((settings.bpmn_dir,))
        versions = atomic(lambda: deploy_files(files=files, actor=Actor(username="demo", role="admin")))
        click.echo(f"deployed {len(versions)} model(s) from {Path(settings.bpmn_dir)}")
        run = atomic(lambda: residents_demo.load(actor=Actor(username="demo", role="admin")))
        click.echo(f"synthetic residents: {run.inserted} added, {run.unchanged} unchanged (import run {run.id})")
        click.echo("demo users (password: $MADOGUCHI_DEMO_PASSWORD, default 'demo'):")
        for user in sorted(users.list_users(), key=lambda u: (u.role, u.username)):
            click.echo(f"  {user.username:<10} {user.role:<9} {user.display_name}")
