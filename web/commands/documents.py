"""``madoguchi export-rpa``: export accepted applications into the robot's drop folder (or another folder)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from core.actor import Actor
from integrations.rpa import delivery


def register(app: Flask) -> None:
    @app.cli.command("export-rpa")
    @click.option("--out", type=click.Path(file_okay=False), default=None,
                  help="folder to write into (default: <var_dir>/drop/rpa)")
    def export_rpa_command(out: str | None) -> None:
        """Write every accepted application not yet exported as CP932 CSV, one file per procedure."""
        folder = Path(out) if out else delivery.drop_folder(current_app.config["MADOGUCHI"])
        export = delivery.export_to_folder(actor=Actor(username="cli", role="admin", terminal="cli"), folder=folder,
                                           trigger="cli")
        click.echo(f"RPA export {export.id}: {export.rows} row(s), {export.manual_rows} for manual input")
        for f in export.files:
            click.echo(f"  {folder / f.filename} ({f.rows} row(s))")
