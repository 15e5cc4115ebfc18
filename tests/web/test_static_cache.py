"""Front-end files: fingerprinted URLs answered immutable for a year; a stale or missing fingerprint revalidates."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import login


def test_a_page_links_fingerprinted_static_files_that_are_cached_for_a_year(client: FlaskClient) -> None:
    login(client, "manager")
    page = client.get("/manager/").get_data(as_text=True)
    links = re.findall(r'/static/([\w./-]+)\?v=([0-9a-f]{12})', page)
    assert links, "no fingerprinted static link on the manager's page"
    filename, version = links[0]
    cached = {part.strip() for part in _cache_control(client, f"/static/{filename}?v={version}").split(",")}
    assert cached == {"public", "immutable", "max-age=31536000"}
    assert "immutable" not in _cache_control(client, f"/static/{filename}?v=000000000000")
    assert "immutable" not in _cache_control(client, f"/static/{filename}")


def _cache_control(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    try:
        assert response.status_code == 200, path
        return response.headers.get("Cache-Control", "")
    finally:
        response.close()
