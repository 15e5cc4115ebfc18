"""Command modules; each has ``register(app)`` adding thin click commands over services."""

from __future__ import annotations

import importlib

from flask import Flask

COMMAND_MODULES = ["web.commands.security",
                   "web.commands.engine", "web.commands.demo", "web.commands.documents", "web.commands.residents",
                   "web.commands.docs", "web.commands.manual"]


def register_all(app: Flask) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
