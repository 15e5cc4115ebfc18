"""The connection pool is sized to what one process serves at once, and gunicorn's settings size it."""

from __future__ import annotations

import importlib
import os

import pytest

from core.settings import Settings

PG = "postgresql+psycopg://madoguchi@127.0.0.1/madoguchi"


def test_postgresql_pool_is_pinged_and_sized_from_the_environment() -> None:
    options = Settings.from_env({"DATABASE_URL": PG, "MADOGUCHI_DB_POOL_SIZE": "3"}).engine_options()
    assert options == {"pool_pre_ping": True, "pool_size": 3, "max_overflow": 3, "pool_timeout": 10}
    assert Settings.from_env({"DATABASE_URL": PG}).engine_options()["pool_size"] == 2  # a sync worker
    assert Settings.from_env({"DATABASE_URL": "sqlite:///x.sqlite3"}).engine_options() == {}


def test_gunicorn_conf_sizes_the_pool_to_its_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MADOGUCHI_DB_POOL_SIZE", raising=False)
    monkeypatch.setenv("MADOGUCHI_THREADS", "4")
    monkeypatch.setenv("MADOGUCHI_WORKERS", "3")
    import web.gunicorn_conf as conf

    conf = importlib.reload(conf)
    assert (conf.workers, conf.threads, conf.worker_class, conf.preload_app) == (3, 4, "gthread", True)
    assert os.environ["MADOGUCHI_DB_POOL_SIZE"] == "5"
    monkeypatch.delenv("MADOGUCHI_THREADS")
    monkeypatch.delenv("MADOGUCHI_WORKERS")
    monkeypatch.delenv("MADOGUCHI_DB_POOL_SIZE")
    conf = importlib.reload(conf)
    assert conf.workers == 2 * (os.cpu_count() or 1) + 1 and conf.worker_class == "sync"
    assert os.environ.pop("MADOGUCHI_DB_POOL_SIZE") == "2"
