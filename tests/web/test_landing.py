"""Each role lands where it works, never on a 403, and its landing page offers no form or link its role cannot
use (checked against the route matrix of docs/security.md, which tests/security/test_route_matrix.py proves)."""

from __future__ import annotations

import re

import pytest
from werkzeug.exceptions import HTTPException

from tests.conftest import login
from tests.security.test_route_matrix import declared

LANDINGS = {"manager": ("manager", "/manager/", "管理者ビュー"), "designer": ("designer", "/designer/", "業務設計"),
            "admin": ("admin", "/admin/", "管理"), "counter": ("counter", "/counter/", "総合窓口"),
            "section": ("shimin", "/inbox", "受付一覧")}


def _rule(app, method: str, url: str) -> str | None:  # noqa: ANN001
    path = url.split("?", 1)[0].split("#", 1)[0]
    try:
        rule, _ = app.url_map.bind("localhost").match(path, method=method, return_rule=True)
    except HTTPException:
        return None
    return f"{method} {rule.rule}"


@pytest.mark.parametrize("role", sorted(LANDINGS))
def test_each_role_lands_where_it_works(app, client, role: str) -> None:
    username, path, heading = LANDINGS[role]
    login(client, username)
    landed = client.get("/")
    assert landed.status_code == 302 and landed.headers["Location"].split("?")[0] == path
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert heading in re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)
    table = declared()
    refused = []
    for url in re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html):
        key = _rule(app, "POST", url)
        if key and key in table and table[key][role] != "ok":
            refused.append(f"POST {url} ({key}: {table[key][role]})")
    for url in sorted(set(re.findall(r'<a[^>]*href="(/[^"]*)"', html))):  # every link: opened, never a 403
        if client.get(url).status_code == 403:
            refused.append(f"GET {url}: 403")
    assert not refused, f"{role}'s landing page offers what the role cannot use: {refused}"
