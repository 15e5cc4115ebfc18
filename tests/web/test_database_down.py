"""The database down or restarted: requests get 503 with a Japanese message, then recover by themselves.

bench/faults.py restarts PostgreSQL under load; these are its two findings as tests. A lost connection used to
surface as a 500 (the catch-all handler), and a pooled connection left from before a restart failed the first
request that drew it after the database was back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from core import demo
from core.db import db
from core.settings import REPO_ROOT, Settings
from tests.conftest import BACKEND, PASSWORD, IsolatedClient, api_headers, login
from web.app import create_app
from web.errors import DATABASE_DOWN


@pytest.fixture
def connection_lost(app: Flask) -> Iterator[dict[str, bool]]:
    """While ``state["down"]``, every statement fails as a server gone away makes it fail."""
    state = {"down": False}

    def fail(*_args: object) -> None:
        if state["down"]:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                                   connection_invalidated=True)

    event.listen(db.engine, "before_cursor_execute", fail)
    yield state
    event.remove(db.engine, "before_cursor_execute", fail)


def test_the_api_answers_503_in_japanese_while_the_database_is_down(client: FlaskClient,
                                                                    connection_lost: dict[str, bool]) -> None:
    headers = api_headers("shimin")
    assert client.get("/api/v1/tasks?section=shimin", headers=headers).status_code == 200
    connection_lost["down"] = True
    response = client.get("/api/v1/tasks?section=shimin", headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"] == {"code": "unavailable", "message": DATABASE_DOWN, "details": {}}
    connection_lost["down"] = False
    assert client.get("/api/v1/tasks?section=shimin", headers=headers).status_code == 200


def test_a_page_answers_503_in_japanese_while_the_database_is_down(client: FlaskClient,
                                                                   connection_lost: dict[str, bool]) -> None:
    login(client, "shimin")
    connection_lost["down"] = True
    response = client.get("/inbox")
    assert response.status_code == 503
    assert DATABASE_DOWN in response.get_data(as_text=True)
    english = client.get("/inbox?lang=en")  # the language comes from the request, not from the database
    assert english.status_code == 503 and '<html lang="en">' in english.get_data(as_text=True)
    assert "The database cannot be reached" in english.get_data(as_text=True)


def test_an_error_of_the_app_in_the_driver_stays_a_500(client: FlaskClient, app: Flask) -> None:
    """Only a lost or refused connection is "try again"; any other driver error is a fault to fix."""
    from sqlalchemy.exc import ProgrammingError

    headers = api_headers("shimin")

    def wrong(*_args: object) -> None:
        raise ProgrammingError("SELECT nope", {}, Exception("syntax error"))

    event.listen(db.engine, "before_cursor_execute", wrong)
    try:
        response = client.get("/api/v1/tasks?section=shimin", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", wrong)
    assert response.status_code == 500


@pytest.mark.postgres
@pytest.mark.skipif(BACKEND != "postgres", reason="restarts a PostgreSQL cluster of its own")
@pytest.mark.timeout(120)
def test_a_real_postgresql_restart_gives_503_then_recovers_without_restarting_the_app(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """A throwaway cluster of its own (never the shared server), stopped and started under the app."""
    from tests.support import postgres

    cluster = postgres.ThrowawayCluster.start()
    try:
        url = postgres.create_database(cluster.url, "restart")
        settings = Settings(database_url=url, secret_key="test-secret", demo=True, demo_password=PASSWORD,
                            bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=str(tmp_path_factory.mktemp("var")))
        restarted = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
        restarted.test_client_class = IsolatedClient
        client = restarted.test_client()
        with restarted.app_context():
            upgrade(directory=restarted.config["MIGRATIONS_DIR"])
            demo.load_sections()
            demo.create_demo_users(password=PASSWORD)
            db.session.commit()
            headers = api_headers("shimin")
        inbox = "/api/v1/tasks?section=shimin"
        assert client.get(inbox, headers=headers).status_code == 200

        cluster.stop_server()  # requests while it is down: 503, at once (refused, not hung)
        for _ in range(2):
            down = client.get(inbox, headers=headers)
            assert down.status_code == 503, down.get_data(as_text=True)[:300]
            assert down.json["error"]["message"] == DATABASE_DOWN
        cluster.start_server()
        assert client.get(inbox, headers=headers).status_code == 200

        # Restarted while no request ran: the pooled connection is stale, yet the next request succeeds.
        cluster.stop_server()
        cluster.start_server()
        assert client.get(inbox, headers=headers).status_code == 200
        with restarted.app_context():
            db.engine.dispose()
    finally:
        cluster.stop()
