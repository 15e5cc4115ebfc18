"""The ``madoguchi`` command: Flask's CLI group with Madoguchi's commands registered by the factory."""

from __future__ import annotations

from flask.cli import FlaskGroup

from web.app import create_app


def main() -> None:
    """Entry point of the console script installed into ``.venv/bin/madoguchi``."""
    cli = FlaskGroup(create_app=lambda: create_app(), help="Madoguchi — one-stop counter system (窓口支援システム)")
    cli.main(prog_name="madoguchi")
