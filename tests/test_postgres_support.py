"""Tests of tests/support/postgres.py, the PostgreSQL finder used by the conftest."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.support import postgres

needs_postgres_run = pytest.mark.skipif(
    os.environ.get("MADOGUCHI_TEST_DATABASE") != "postgres",
    reason="PostgreSQL support is checked in the MADOGUCHI_TEST_DATABASE=postgres run",
)


@pytest.fixture
def bindir() -> Path:
    """The PostgreSQL binaries. Missing ones fail the test: a skip would let the throwaway path go untested."""
    found = postgres.find_bindir()
    if found is None:
        pytest.fail("no initdb/pg_ctl/postgres on PATH or in /usr/lib/postgresql/*/bin: scripts/setup installs them")
    return found


def _version(url: str) -> str:
    with psycopg.connect(postgres.libpq_url(url), connect_timeout=5) as conn:
        return conn.execute("SELECT version()").fetchone()[0]


def _database_exists(base_url: str, name: str) -> bool:
    with psycopg.connect(postgres.libpq_url(base_url), connect_timeout=5) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None


def _check_create_and_drop(base_url: str) -> None:
    name = f"madoguchi_support_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(base_url, name)
    try:
        assert url.startswith("postgresql+psycopg://")
        assert url.endswith(f"/{name}")
        with psycopg.connect(postgres.libpq_url(url), connect_timeout=5, autocommit=True) as conn:
            assert conn.execute("SELECT current_database()").fetchone()[0] == name
            assert conn.execute("SHOW server_encoding").fetchone()[0] == "UTF8"
            conn.execute("CREATE TABLE t (x text)")
            conn.execute("INSERT INTO t VALUES ('窓口')")
        # Open sessions must not stop the database from being re-created or dropped.
        open_session = psycopg.connect(postgres.libpq_url(url), connect_timeout=5)
        try:
            assert postgres.create_database(base_url, name) == url
            with pytest.raises(psycopg.OperationalError):
                open_session.execute("SELECT 1")
        finally:
            open_session.close()
        with psycopg.connect(postgres.libpq_url(url), connect_timeout=5) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 't'").fetchone()[0]
            assert tables == 0, "create_database must start from an empty database"
        open_session = psycopg.connect(postgres.libpq_url(url), connect_timeout=5)
        try:
            postgres.drop_database(base_url, name)
        finally:
            open_session.close()
        assert not _database_exists(base_url, name)
    finally:
        postgres.drop_database(base_url, name)
    postgres.drop_database(base_url, name)  # dropping a missing database is fine


@needs_postgres_run
def test_server_url_answers_and_databases_can_be_made():
    base = postgres.server_url()
    assert base.startswith("postgresql+psycopg://")
    assert _version(base).startswith("PostgreSQL ")
    assert postgres.server_url() == base, "the server is found once per process"
    _check_create_and_drop(base)


def test_urls_always_use_psycopg_driver():
    assert (
        postgres.sqlalchemy_url("postgresql://u:p%40ss@h:5433/db")
        == "postgresql+psycopg://u:p%40ss@h:5433/db"
    )
    assert postgres.sqlalchemy_url("postgresql+psycopg2://h/db") == "postgresql+psycopg://h/db"
    assert postgres.libpq_url("postgresql+psycopg://postgres@127.0.0.1:5432/x") == (
        "postgresql://postgres@127.0.0.1:5432/x"
    )
    other = postgres.with_database("postgresql+psycopg://postgres@h:1/postgres", "other")
    assert other == "postgresql+psycopg://postgres@h:1/other"
    with pytest.raises(ValueError):
        postgres.sqlalchemy_url("sqlite:///x.db")
    with pytest.raises(ValueError):
        postgres.create_database("postgresql+psycopg://postgres@127.0.0.1:1/postgres", 'x"; DROP')


def test_nothing_found_raises(monkeypatch):
    monkeypatch.setattr(postgres, "_cache", {})
    monkeypatch.setattr(postgres, "find_bindir", lambda: None)
    with pytest.raises(RuntimeError, match="PostgreSQL is required .* but none was found"):
        postgres.server_url(throwaway=True)


def test_unreachable_database_url_raises(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setattr(postgres, "_cache", {})
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/postgres")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        postgres.server_url()


@pytest.mark.timeout(60)
def test_throwaway_cluster(monkeypatch, bindir):
    monkeypatch.setattr(postgres, "_cache", {})
    monkeypatch.setenv(postgres.THROWAWAY_ENV, "1")  # skip DATABASE_URL and 127.0.0.1:5432
    base = postgres.server_url()
    assert base.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert not base.startswith("postgresql+psycopg://postgres@127.0.0.1:5432/")
    assert _version(base).startswith("PostgreSQL ")
    assert postgres.server_url(throwaway=True) == base
    _check_create_and_drop(base)


@pytest.mark.timeout(60)
def test_with_no_server_anywhere_a_throwaway_cluster_is_started(monkeypatch, bindir):
    """A bare machine: no DATABASE_URL and nothing on 127.0.0.1:5432, so the binaries scripts/setup installs serve."""
    monkeypatch.setattr(postgres, "_cache", {})
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(postgres.THROWAWAY_ENV, raising=False)
    monkeypatch.setattr(postgres, "_tcp_open", lambda host, port, timeout=1.0: False)
    base = postgres.server_url()
    assert base.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert not base.startswith("postgresql+psycopg://postgres@127.0.0.1:5432/")
    assert _version(base).startswith("PostgreSQL ")


@pytest.mark.timeout(60)
def test_throwaway_cluster_stops_and_cleans_up(bindir):
    cluster = postgres.ThrowawayCluster.start(bindir)
    root, port = cluster.root, cluster.port
    try:
        assert _version(cluster.url).startswith("PostgreSQL ")
    finally:
        cluster.stop()
    assert not root.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    cluster.stop()  # idempotent
