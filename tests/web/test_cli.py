"""The ``madoguchi`` command line on a fresh machine: help in every mode, and one actionable line, never a traceback,
when the secret key is missing.

Both the installed console script (a real process, as a newcomer runs it) and the click runner (in process, for the
sub-groups) are checked, in demo mode, without any setting, and with production settings (a secret key, a
PostgreSQL URL nobody answers at: help must not need the database).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from web.app import SECRET_KEY_MISSING
from web.cli import cli

CONSOLE_SCRIPT = Path(sys.executable).with_name("madoguchi")
MODES = ("demo", "no-secret", "production")
# What the top-level help lists: Flask's own commands and ours, the group registered last included.
EXPECTED_COMMANDS = ("audit", "backup", "db", "demo", "deploy", "docs", "jobs", "mynumber", "purge-all", "routes",
                     "run", "scheduler")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(mode: str, tmp_path: Path) -> dict[str, str | None]:
    """The Madoguchi settings of ``mode``; every other MADOGUCHI_* variable and DATABASE_URL are unset."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("MADOGUCHI_", "FLASK_"))}
    env |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "MADOGUCHI_VAR_DIR": str(tmp_path / "var")}
    if mode == "demo":
        env["MADOGUCHI_DEMO"] = "1"
    elif mode == "production":
        env |= {"MADOGUCHI_SECRET_KEY": "a-production-secret-of-enough-length",
                "DATABASE_URL": f"postgresql+psycopg://madoguchi@127.0.0.1:{_closed_port()}/madoguchi",
                "MADOGUCHI_MYNUMBER_KEYS": Fernet.generate_key().decode(), "MADOGUCHI_SECURE_COOKIES": "1"}
    return env


def _run(args: list[str], mode: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is missing: scripts/setup installs it (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MADOGUCHI_", "FLASK_"))}
    env |= {k: v for k, v in _environment(mode, tmp_path).items() if v is not None}
    # cwd outside the repository: no .env is picked up, nothing is written into the tree.
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)


@pytest.mark.parametrize("mode", MODES)
def test_console_script_help_lists_the_commands(mode: str, tmp_path: Path) -> None:
    proc = _run(["--help"], mode, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr == ""
    commands = proc.stdout.split("Commands:", 1)[1]
    for name in EXPECTED_COMMANDS:
        assert f"\n  {name} " in commands, (name, proc.stdout)


@pytest.mark.timeout(90)  # a server that starts anyway would block until then
def test_console_script_run_without_secret_key_stops_with_one_line(tmp_path: Path) -> None:
    proc = _run(["run", "--port", str(_closed_port())], "no-secret", tmp_path)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"Error: {SECRET_KEY_MISSING}"]
    assert "MADOGUCHI_SECRET_KEY" in SECRET_KEY_MISSING
    assert "secrets.token_hex(32)" in SECRET_KEY_MISSING


def test_console_script_commands_that_sign_nothing_run_without_secret_key(tmp_path: Path) -> None:
    proc = _run(["routes"], "no-secret", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "/api/v1/process-models" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.fixture
def cli_runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    # FlaskGroup sets FLASK_RUN_FROM_CLI in os.environ; keep it from leaking into the rest of the test process.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    return CliRunner()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("args", "expected"), [
    (["--help"], ["db", "demo", "docs", "jobs", "run"]),
    (["db", "--help"], ["upgrade", "downgrade", "current"]),
    (["jobs", "--help"], ["list", "run"]),
    (["docs", "--help"], ["build"]),
    (["audit", "--help"], ["verify", "archive"]),
    (["run", "--help"], ["--host", "--port"]),
])
def test_help_of_every_group_in_every_mode(cli_runner: CliRunner, mode: str, args: list[str], expected: list[str],
                                            tmp_path: Path) -> None:
    result = cli_runner.invoke(cli, args, env=_environment(mode, tmp_path), prog_name="madoguchi")
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "Traceback" not in result.output
    for word in expected:
        assert word in result.output, (word, result.output)


@pytest.mark.timeout(30)  # a server that starts anyway would block until then
def test_run_without_secret_key_is_stopped_before_serving(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(cli, ["run", "--port", str(_closed_port())], env=_environment("no-secret", tmp_path),
                               prog_name="madoguchi")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {SECRET_KEY_MISSING}"


def test_the_factory_itself_still_refuses_a_missing_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What gunicorn builds (``web.app:create_app()``) must not start without a key outside demo mode."""
    from web.app import MissingSecretKey, create_app

    for key, value in _environment("no-secret", tmp_path).items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    with pytest.raises(MissingSecretKey, match="MADOGUCHI_SECRET_KEY is not set"):
        create_app()
