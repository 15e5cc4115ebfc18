"""``madoguchi manual build``: the operations manual (docs/manual/: Markdown per role and a PDF) from web/help."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from web import help as manual


def register(app: Flask) -> None:
    @app.cli.group("manual")
    def manual_group() -> None:
        """The operations manual (操作マニュアル)."""

    @manual_group.command("build")
    @click.option("--out", type=click.Path(file_okay=False), default=None, help="folder (default: docs/manual)")
    @click.option("--artifacts", type=click.Path(file_okay=False), default=None,
                  help="the browser tests' screenshots (default: test-artifacts)")
    def build_command(out: str | None, artifacts: str | None) -> None:
        """Write the Markdown chapters, their screenshots and manual.pdf."""
        built = manual.build(out=Path(out) if out else manual.OUT,
                             artifacts=Path(artifacts) if artifacts else manual.ARTIFACTS)
        click.echo(f"manual: {len(built.markdown)} Markdown file(s), {built.images} screenshot(s), {built.pdf}")
        for shot in built.missing:
            click.echo(f"  not taken yet: {shot}")
