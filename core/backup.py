"""Backups and restore of the whole database: SQLite's online backup API, or pg_dump/pg_restore.

A backup is one file, ``madoguchi-<UTC time>.sqlite3`` or ``.pgdump`` (pg_dump's custom format), with a
``.sha256`` beside it; :func:`rotate` keeps the newest ``keep``. :func:`restore` checks the checksum first and
loads the file into the configured database (for PostgreSQL, best into an empty database: see the runbook).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from core.db import utcnow
from core.errors import Invalid
from core.i18n import N_

PREFIX = "madoguchi-"
SUFFIXES = (".sqlite3", ".pgdump")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise Invalid(N_("メモリ上のデータベースはバックアップできません"), details={"database_url": "in-memory"})
    return path


def _pg_env_and_uri(url: str) -> tuple[dict[str, str], str]:
    """A libpq URI without the password, and the environment that carries it (not visible in ps)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return env, uri


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise Invalid(N_("{tool} が見つかりません（postgresql-client を導入してください）", tool=name),
                      details={"tool": name})
    return found


def backup(*, database_url: str, out_dir: Path, now: datetime | None = None) -> Path:
    """Write a consistent copy of the live database to ``out_dir``; returns its path (a .sha256 sits beside it)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{(now or utcnow()):%Y%m%dT%H%M%S%fZ}"
    if database_url.startswith("sqlite"):
        target = out_dir / f"{PREFIX}{stamp}.sqlite3"
        source = sqlite3.connect(_sqlite_path(database_url))
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)  # online: readers and writers may go on meanwhile
        finally:
            dest.close()
            source.close()
    else:
        target = out_dir / f"{PREFIX}{stamp}.pgdump"
        env, uri = _pg_env_and_uri(database_url)
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                               f"--file={target}", f"--dbname={uri}"], env=env, capture_output=True, check=False)
        if done.returncode != 0:
            raise Invalid(N_("pg_dump が失敗しました"),
                          details={"stderr": done.stderr.decode(errors="replace")[-2000:]})
    Path(f"{target}.sha256").write_text(f"{sha256_of(target)}  {target.name}\n")
    return target


def rotate(*, out_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (and their checksums); returns what was deleted."""
    backups = sorted(p for p in out_dir.glob(f"{PREFIX}*") if p.suffix in SUFFIXES)
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
        Path(f"{path}.sha256").unlink(missing_ok=True)
    return doomed


def check(path: Path) -> None:
    """Invalid unless the file exists and matches the checksum written beside it."""
    if not path.is_file():
        raise Invalid(N_("バックアップファイルがありません"), details={"file": str(path)})
    sidecar = Path(f"{path}.sha256")
    if sidecar.exists() and sidecar.read_text().split()[0] != sha256_of(path):
        raise Invalid(N_("バックアップファイルのチェックサムが一致しません (corrupted)"), details={"file": str(path)})


def restore(*, database_url: str, path: Path) -> None:
    """Replace the database's content with the backup's (SQLite: page copy; PostgreSQL: pg_restore --clean)."""
    check(path)
    if database_url.startswith("sqlite"):
        if path.suffix != ".sqlite3":
            raise Invalid(N_("SQLite には .sqlite3 のバックアップを指定してください"), details={"file": path.name})
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dest = sqlite3.connect(_sqlite_path(database_url))
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
        return
    if path.suffix != ".pgdump":
        raise Invalid(N_("PostgreSQL には .pgdump のバックアップを指定してください"), details={"file": path.name})
    env, uri = _pg_env_and_uri(database_url)
    done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", f"--dbname={uri}", str(path)], env=env, capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise Invalid(N_("pg_restore が失敗しました"), details={"stderr": done.stderr.decode(errors="replace")[-2000:]})
