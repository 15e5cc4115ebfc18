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
    # PostgreSQL: send a unit of work's writes with its COMMIT in one pipelined round trip (core/writebehind.py).
    # Off: each write is its own round trip (a connection pooler without pipeline support; or to compare).
    pg_writebehind: bool = field(default=True, metadata={"env": "MADOGUCHI_PG_WRITEBEHIND"})
    # Connections each process keeps to PostgreSQL: a sync gunicorn worker serves one request at a time, which uses
    # one connection and at most one more (a refusal logged in a transaction of its own). web/gunicorn_conf.py sets
    # it to threads + 1; with the pool's overflow of the same size, 2 × cores + 1 workers and the scheduler stay far
    # below PostgreSQL's 100 connections (5 workers: at most 20).
    db_pool_size: int = field(default=2, metadata={"env": "MADOGUCHI_DB_POOL_SIZE"})
    # Lay out a visit's PDFs after the response, in a thread of the worker (workflows/visit/printing.py); on in
    # production's gunicorn settings, off by default so that a test or a command sees the PDF when it returns.
    render_in_background: bool = field(default=False, metadata={"env": "MADOGUCHI_RENDER_IN_BACKGROUND"})
    # Where the library of journeys lives (deployed by ``madoguchi demo`` / ``madoguchi deploy``).
    bpmn_dir: str = field(default=str(REPO_ROOT / "bpmn"), metadata={"env": "MADOGUCHI_BPMN_DIR"})
    # npm's install folder, from which the front-end libraries are served.
    node_modules_dir: str = field(default=str(REPO_ROOT / "node_modules"), metadata={"env": "MADOGUCHI_NODE_MODULES"})
    # Where generated files (backups, exports, drop folders) go by default.
    var_dir: str = field(default=str(REPO_ROOT / "var"), metadata={"env": "MADOGUCHI_VAR_DIR"})

    # My Number (個人番号) encryption keys: comma-separated Fernet keys, the first encrypts, all decrypt
    # (rotation: put the new key first, run ``madoguchi mynumber rotate``, then drop the old one).
    # Unset in demo/tests: a key is derived from the secret key. Unset in production: My Number is refused.
    mynumber_keys: str | None = field(default=None, metadata={"env": "MADOGUCHI_MYNUMBER_KEYS"})
    # Operation-log retention in days (5 years by default); older entries are archived, then purged.
    audit_retention_days: int = field(default=5 * 366, metadata={"env": "MADOGUCHI_AUDIT_RETENTION_DAYS"})
    # Pre-entries (事前入力) from residents' phones are deleted this many days after they were made (or when used).
    pre_entry_days: int = field(default=7, metadata={"env": "MADOGUCHI_PRE_ENTRY_DAYS"})
    # At most this many pre-entries per hour from one address (the public page's rate limit).
    pre_entry_per_hour: int = field(default=10, metadata={"env": "MADOGUCHI_PRE_ENTRY_PER_HOUR"})
    # Where audit archives and backups are written (default: var_dir/audit-archive, var_dir/backups).
    backup_dir: str | None = field(default=None, metadata={"env": "MADOGUCHI_BACKUP_DIR"})
    # Daily backups kept by the rotation.
    backup_keep: int = field(default=14, metadata={"env": "MADOGUCHI_BACKUP_KEEP"})
    # Send the session cookie only over HTTPS: turn on behind the TLS reverse proxy (docs/operations/runbook.md).
    secure_cookies: bool = field(default=False, metadata={"env": "MADOGUCHI_SECURE_COOKIES"})
    # Login lockout: this many consecutive failures lock the account for lockout_minutes.
    login_max_failures: int = field(default=5, metadata={"env": "MADOGUCHI_LOGIN_MAX_FAILURES"})
    lockout_minutes: int = field(default=15, metadata={"env": "MADOGUCHI_LOCKOUT_MINUTES"})
    # Shortest accepted password (the policy also asks for letters and digits).
    password_min_length: int = field(default=10, metadata={"env": "MADOGUCHI_PASSWORD_MIN_LENGTH"})
    # Alert hook, fired when a job fails or health goes red: a shell command (gets the alert as JSON on stdin)
    # and/or a webhook URL (POSTed the JSON). Empty: alerts go to the log only.
    alert_command: str | None = field(default=None, metadata={"env": "MADOGUCHI_ALERT_COMMAND"})
    alert_webhook: str | None = field(default=None, metadata={"env": "MADOGUCHI_ALERT_WEBHOOK"})
    # /metrics: a bearer token for Prometheus (compared in constant time); admins may also read it when logged in.
    metrics_token: str | None = field(default=None, metadata={"env": "MADOGUCHI_METRICS_TOKEN"})
    # Health turns red when free disk space under var_dir falls below this many megabytes.
    min_free_disk_mb: int = field(default=1024, metadata={"env": "MADOGUCHI_MIN_FREE_DISK_MB"})
    # Health turns red when the scheduler's heartbeat is older than this many seconds (0: not checked).
    scheduler_stale_seconds: int = field(default=300, metadata={"env": "MADOGUCHI_SCHEDULER_STALE_SECONDS"})

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
            "SQLALCHEMY_ENGINE_OPTIONS": self.engine_options(),
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "MADOGUCHI": self,
        }


    def engine_options(self) -> dict[str, object]:
        """Pool options. On PostgreSQL each checkout first pings its connection (one round trip), so that a
        connection left from before a database restart is replaced instead of failing the request that draws it:
        after a restart the app recovers without restarting gunicorn (bench/faults.py). The pool is sized to what
        one process serves at once (``db_pool_size``); a request that finds it exhausted waits 10 s, then fails
        instead of hanging. SQLite has no server."""
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_pre_ping": True, "pool_size": self.db_pool_size, "max_overflow": self.db_pool_size,
                "pool_timeout": 10}


def _convert(raw: str, type_name: str | type) -> object:
    name = type_name if isinstance(type_name, str) else type_name.__name__
    if name == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name == "int":
        return int(raw)
    if name == "float":
        return float(raw)
    return raw
