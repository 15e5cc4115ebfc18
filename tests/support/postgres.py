"""Find or start a PostgreSQL server for the test suite.

Used by ``tests/conftest.py`` when ``MADOGUCHI_TEST_DATABASE=postgres``::

    from tests.support import postgres

    base = postgres.server_url()                 # reachable server, or RuntimeError
    url = postgres.create_database(base, "madoguchi_test")
    ...
    postgres.drop_database(base, "madoguchi_test")

``server_url()`` tries, in order:

1. ``DATABASE_URL`` when it starts with ``postgresql`` (the driver is rewritten to psycopg 3);
2. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres`` when a ``SELECT 1`` succeeds there;
3. a throwaway cluster made with ``initdb``/``pg_ctl`` (found on PATH or in
   ``/usr/lib/postgresql/*/bin``) in a temporary directory, on a free port of 127.0.0.1,
   with fsync off, stopped and deleted when the Python process exits. As root it runs as
   the ``postgres`` system user through ``runuser``, since initdb refuses root.

If none works it raises ``RuntimeError``: a PostgreSQL run must never pass silently
without PostgreSQL. ``server_url(throwaway=True)`` (or the environment variable
``MADOGUCHI_TEST_POSTGRES_THROWAWAY=1``) skips the first two options.

All URLs returned are SQLAlchemy URLs with the ``postgresql+psycopg://`` driver.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

DRIVER = "postgresql+psycopg"
LOCAL_URL = f"{DRIVER}://postgres@127.0.0.1:5432/postgres"
THROWAWAY_ENV = "MADOGUCHI_TEST_POSTGRES_THROWAWAY"

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_cache: dict[bool, str] = {}


# --- URLs ---------------------------------------------------------------------------------------


def sqlalchemy_url(url: str | URL) -> str:
    """The same server and database as ``url``, with the ``postgresql+psycopg`` driver."""
    parsed = make_url(url) if isinstance(url, str) else url
    if not parsed.drivername.startswith("postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername=DRIVER).render_as_string(hide_password=False)


def libpq_url(url: str | URL) -> str:
    """``url`` as a libpq connection URI that ``psycopg.connect`` accepts."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(base_url: str, name: str) -> str:
    return sqlalchemy_url(make_url(base_url).set(database=name))


def _connect(url: str, *, timeout: int = 5) -> psycopg.Connection:
    return psycopg.connect(libpq_url(url), connect_timeout=timeout, autocommit=True)


def _answers(url: str) -> str | None:
    """None when ``SELECT 1`` works at ``url``, else why not."""
    try:
        with _connect(url, timeout=3) as conn:
            conn.execute("SELECT 1").fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
        return f"{type(exc).__name__}: {str(exc).strip()}"
    return None


def _tcp_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# --- the server ---------------------------------------------------------------------------------


def server_url(*, throwaway: bool | None = None) -> str:
    """A base URL (database ``postgres``) of a reachable PostgreSQL server; see the module doc."""
    if throwaway is None:
        throwaway = os.environ.get(THROWAWAY_ENV, "") not in ("", "0")
    if throwaway not in _cache:
        tried: list[str] = ["throwaway cluster forced"] if throwaway else []
        url = None if throwaway else _existing_server(tried)
        _cache[throwaway] = url or _start_throwaway(tried)
    return _cache[throwaway]


def _existing_server(tried: list[str]) -> str | None:
    """DATABASE_URL or the local server on 5432, or None (with the reasons added to ``tried``)."""
    env_url = os.environ.get("DATABASE_URL", "")
    if env_url.startswith("postgresql"):
        # Explicitly configured: use it or fail, never fall through to something else.
        url = sqlalchemy_url(env_url)
        problem = _answers(url)
        if problem:
            raise RuntimeError(f"DATABASE_URL points to a PostgreSQL server that does not answer: {problem}")
        return url
    tried.append("DATABASE_URL is not a postgresql URL")
    if not _tcp_open("127.0.0.1", 5432):
        tried.append("nothing listens on 127.0.0.1:5432")
        return None
    problem = _answers(LOCAL_URL)
    if problem is None:
        return LOCAL_URL
    tried.append(f"127.0.0.1:5432 as user postgres: {problem}")
    return None


def _start_throwaway(tried: list[str]) -> str:
    prefix = "PostgreSQL is required for MADOGUCHI_TEST_DATABASE=postgres but none was found: "
    bindir = find_bindir()
    if bindir is None:
        tried.append("no initdb/pg_ctl on PATH or in /usr/lib/postgresql/*/bin")
        raise RuntimeError(
            prefix
            + "; ".join(tried)
            + ". Run a server on 127.0.0.1:5432 with trust auth for user postgres, set DATABASE_URL, "
            "or install the binaries (scripts/setup does: Debian package postgresql)."
        )
    try:
        cluster = ThrowawayCluster.start(bindir)
    except RuntimeError as exc:
        tried.append(f"starting a throwaway cluster failed: {exc}")
        raise RuntimeError(prefix + "; ".join(tried)) from exc
    atexit.register(cluster.stop)
    return cluster.url


def find_bindir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
        candidates.append(Path(initdb).parent)

    def version(path: str) -> tuple[int, ...]:
        ver = Path(path).parent.name
        return tuple(int(part) for part in re.findall(r"\d+", ver)) or (0,)

    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)]
    for directory in candidates:
        if all(os.access(directory / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ThrowawayCluster:
    """A PostgreSQL cluster in a temporary directory, for one test process."""

    bindir: Path
    root: Path
    port: int
    _prefix: list[str] = field(default_factory=list)
    _stopped: bool = False
    options: str = ""

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"{DRIVER}://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, bindir: Path | None = None, *, attempts: int = 3) -> ThrowawayCluster:
        bindir = bindir or find_bindir()
        if bindir is None:
            raise RuntimeError("no initdb/pg_ctl found")
        prefix: list[str] = []
        root = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))
        if os.geteuid() == 0:
            # initdb refuses to run as root: hand the directory to the postgres system user.
            try:
                pg_user = pwd.getpwnam("postgres")
            except KeyError as exc:
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError("running as root and there is no 'postgres' system user") from exc
            runuser = shutil.which("runuser")
            if runuser is None:
                shutil.rmtree(root, ignore_errors=True)
                raise RuntimeError("running as root and 'runuser' is missing")
            os.chown(root, pg_user.pw_uid, pg_user.pw_gid)
            prefix = [runuser, "-u", "postgres", "--"]

        cluster = cls(bindir=bindir, root=root, port=0, _prefix=prefix)
        try:
            cluster._run(
                "initdb", "-D", str(cluster.datadir), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
            last_error = ""
            for _ in range(attempts):
                cluster.port = _free_port()
                cluster.options = (
                    f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off"
                )
                try:
                    cluster.start_server()
                except RuntimeError as exc:  # most likely the port was taken meanwhile
                    last_error = str(exc)
                    continue
                return cluster
            raise RuntimeError(f"pg_ctl start failed {attempts} times; last: {last_error}")
        except BaseException:
            cluster.stop()
            raise

    def start_server(self, options: str | None = None) -> None:
        """Start the server (again) on the cluster's port; ``options`` replace the ``postgres`` options."""
        self.options = options or self.options
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "-o", self.options, "start")

    def stop_server(self) -> None:
        """Stop the server as an operator's restart does (``-m fast``: sessions ended, commits kept); the
        cluster stays, for :meth:`start_server` (the fault tests and bench/faults.py)."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "60", "stop")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self._prefix, str(self.bindir / tool), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, check=False)
        if proc.returncode != 0:
            log = ""
            logfile = self.root / "server.log"
            if logfile.exists():
                log = logfile.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{tool} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-2000:]}"
                + (f"\nserver log:\n{log}" if log else "")
            )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if (self.datadir / "postmaster.pid").exists():
            cmd = [*self._prefix, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate",
                   "-w", "-t", "30", "stop"]  # fmt: skip
            subprocess.run(cmd, capture_output=True, cwd=self.root, check=False)
        # Give the postmaster a moment to release the directory before it is removed.
        for _ in range(50):
            if not (self.datadir / "postmaster.pid").exists():
                break
            time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)


# --- databases ----------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise ValueError(f"unsafe database name: {name!r}")


def _terminate(conn: psycopg.Connection, name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )


def create_database(base_url: str, name: str) -> str:
    """(Re)create database ``name`` on the server of ``base_url``; returns its URL."""
    _check_name(name)
    with _connect(base_url) as conn:
        _terminate(conn, name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        encoding = conn.execute("SHOW server_encoding").fetchone()[0]
        if encoding.upper() in ("UTF8", "UTF-8"):
            create = sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'")
        else:
            create = sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            )
        conn.execute(create.format(sql.Identifier(name)))
    return with_database(base_url, name)


def drop_database(base_url: str, name: str) -> None:
    """Drop database ``name`` (if it exists), ending other sessions on it first."""
    _check_name(name)
    with _connect(base_url) as conn:
        _terminate(conn, name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
