"""The ``madoguchi`` command: Flask's CLI group with Madoguchi's commands registered by the factory.

The app is built with ``MADOGUCHI_CLI`` so that a missing ``MADOGUCHI_SECRET_KEY`` does not stop the factory:
``madoguchi --help`` and the commands that sign nothing (migrations, imports, backups …) work without it, and the
commands that serve requests (:data:`NEEDS_SECRET_KEY`) stop with one line saying how to make one.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from web.app import SECRET_KEY_MISSING, create_app

# Commands that serve HTTP: Flask signs their sessions and CSRF tokens with the secret key.
NEEDS_SECRET_KEY = frozenset({"run"})


def _create_cli_app() -> Flask:
    return create_app({"MADOGUCHI_CLI": True})


def _requiring_secret_key(command: click.Command) -> click.Command:
    """A copy of ``command`` that first stops with :data:`SECRET_KEY_MISSING` when the app has no secret key."""
    callback = command.callback
    if callback is None:
        return command

    @functools.wraps(callback)
    def check_then_run(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        if not app.config.get("SECRET_KEY"):
            raise click.ClickException(SECRET_KEY_MISSING)
        return callback(*args, **kwargs)

    guarded = copy.copy(command)  # Flask's own run command is shared: never change it in place
    guarded.callback = check_then_run
    return guarded


class MadoguchiGroup(FlaskGroup):
    """Flask's group, with the secret-key check in front of the commands of :data:`NEEDS_SECRET_KEY`."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None and name in NEEDS_SECRET_KEY:
            return _requiring_secret_key(command)
        return command


cli = MadoguchiGroup(create_app=_create_cli_app, help="Madoguchi — one-stop counter system (窓口支援システム)")


def main() -> None:
    """Entry point of the console script installed into ``.venv/bin/madoguchi``."""
    cli.main(prog_name="madoguchi")
