"""Flask extensions, created unbound and initialised by the factory."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from web.api.base import MadoguchiApi

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
api = MadoguchiApi()
