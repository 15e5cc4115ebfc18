"""Every setting of Madoguchi, named, typed, defaulted and documented; read from the environment once.

The application factory turns a :class:`Settings` into Flask config. Tests pass a mapping that overrides it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'var' / 'madoguchi.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """Configuration, with the environment variable that sets each field in its metadata."""

    database_url: str = field(default_factory=_default_database_url, metadata={"env": "DATABASE_URL"})
    secret_key: str | None = field(default=None, metadata={"env": "MADOGUCHI_SECRET_KEY"})
    # Demo mode creates the demo users with a known password; never on in production.
    demo: bool = field(default=False, metadata={"env": "MADOGUCHI_DEMO"})
    demo_password: str = field(default="demo", metadata={"env": "MADOGUCHI_DEMO_PASSWORD"})
    # Largest accepted BPMN/DMN upload, in bytes; larger ones get 413.
    max_model_bytes: int = field(default=2_000_000, metadata={"env": "MADOGUCHI_MAX_MODEL_BYTES"})
    # Largest request body of any kind (resident import files are the biggest).
    max_content_length: int = field(default=200_000_000, metadata={"env": "MADOGUCHI_MAX_CONTENT_LENGTH"})
    # API bearer tokens live this many seconds.
    token_ttl_seconds: int = field(default=8 * 3600, metadata={"env": "MADOGUCHI_TOKEN_TTL"})
    # Browser sessions end after this many idle minutes.
    session_idle_minutes: int = field(default=30, metadata={"env": "MADOGUCHI_SESSION_IDLE_MINUTES"})
    # Wall-clock limit for one script task or expression in a diagram.
    script_timeout_seconds: float = field(default=1.0, metadata={"env": "MADOGUCHI_SCRIPT_TIMEOUT"})
    # Where the library of journeys lives (deployed by ``madoguchi demo`` / ``madoguchi deploy``).
    bpmn_dir: str = field(default=str(REPO_ROOT / "bpmn"), metadata={"env": "MADOGUCHI_BPMN_DIR"})
    # npm's install folder, from which the front-end libraries are served.
    node_modules_dir: str = field(default=str(REPO_ROOT / "node_modules"), metadata={"env": "MADOGUCHI_NODE_MODULES"})
    # Where generated files (backups, exports, drop folders) go by default.
    var_dir: str = field(default=str(REPO_ROOT / "var"), metadata={"env": "MADOGUCHI_VAR_DIR"})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from the environment, converting each value to its field's type."""
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is None:
                continue
            values[f.name] = _convert(raw, f.type)
        return cls(**values)

    def to_flask_config(self) -> dict[str, object]:
        return {
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "MADOGUCHI": self,
        }


def _convert(raw: str, type_name: str | type) -> object:
    name = type_name if isinstance(type_name, str) else type_name.__name__
    if name == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    return raw
