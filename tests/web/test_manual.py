"""The operations manual never goes stale: every page it names exists, every page has its section, /help answers
every role and each page links to its own section, and ``madoguchi manual build`` writes the Markdown of
docs/manual/ (as committed) and a PDF that reads back with every chapter and its screenshots."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import IsolatedClient, login
from tests.forms.support import pdf_text, squeeze
from tests.security.test_route_matrix import ROLE_USERS
from web import help as manual
from web.help import training

# Pages that are not pages of their own: redirects, the board's fragment, downloads, the manual itself.
NO_SECTION = {"auth.home", "auth.login", "public.board_rows", "public.asset", "manager.diagram_xml",
              "manager.stats_csv", "counter.guide_pdf", "monitoring.metrics", "help.manual_page", "help.manual_pdf",
              "preentry.address", "tickets.slip_pdf"}  # the pre-entry form's postal lookup (JSON), a ticket's PDF


def _page_endpoints(app: Flask) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods
            and not r.rule.startswith(("/api/", "/static/")) and r.endpoint not in {"static"}}


def test_every_page_named_in_the_manual_exists(app: Flask) -> None:
    gone = sorted(set(manual.load().endpoints) - _page_endpoints(app))
    assert not gone, f"the manual names pages that no longer exist: {gone}"


def test_every_page_has_its_section(app: Flask) -> None:
    missing = sorted(_page_endpoints(app) - set(manual.load().endpoints) - NO_SECTION)
    assert not missing, f"pages without a section in web/help/manual.yaml: {missing}"


def _png(path: Path) -> None:
    """A one-pixel PNG, as a screenshot stands in."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_manual_build_writes_the_chapters_and_the_pdf(runner, tmp_path: Path) -> None:
    artifacts, out = tmp_path / "artifacts", tmp_path / "manual"
    _png(artifacts / "test_board_and_inbox_in_the_browser" / "02-board.png")
    result = runner.invoke(args=["manual", "build", "--out", str(out), "--artifacts", str(artifacts)])
    assert result.exit_code == 0, result.output
    book = manual.load()
    assert sorted(p.name for p in out.glob("*.md")) == sorted(["index.md", "training.md",
                                                               *(f"{c.role}.md" for c in book.chapters)])
    assert [c.role for c in book.chapters] == ["counter", "section", "manager", "designer", "admin", "board"]
    assert (out / "images" / "public.board-1.png").is_file() and "1 screenshot(s)" in result.output
    text = squeeze(pdf_text((out / "manual.pdf").read_bytes()))
    for chapter in book.chapters:
        assert squeeze(chapter.title) in text
        assert all(squeeze(p.title) in text for p in chapter.pages)
    assert all(squeeze(e.expected) in text for e in training.load().exercises)  # the training text, same PDF
    for path in out.glob("*.md"):  # docs/manual/ is what the build writes from web/help/manual.yaml
        committed = manual.OUT / path.name
        assert committed.is_file() and committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"docs/manual/{path.name} is stale: run `madoguchi manual build`")


def test_manual_build_in_place_uses_the_browser_tests_screenshots(runner) -> None:
    """What CI leaves: docs/manual/manual.pdf with every screenshot the browser tests took (none without them)."""
    result = runner.invoke(args=["manual", "build"])
    assert result.exit_code == 0, result.output
    taken = sum(1 for c in manual.load().chapters for p in c.pages for s in p.steps if manual.screenshot(s.shot))
    assert f"{taken} screenshot(s)" in result.output and (manual.OUT / "manual.pdf").stat().st_size > 10_000


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_help_answers_every_role_and_each_page_links_to_its_section(app: Flask, role: str) -> None:
    app.test_client_class = IsolatedClient
    client = app.test_client()
    login(client, ROLE_USERS[role])
    page = client.get("/help")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert all(f'id="{endpoint}"' in html for endpoint in manual.load().endpoints)
    assert all(c.title in html for c in manual.load().chapters)
    chapter_role = "section" if role == "other section" else role
    assert f'href="/help#{chapter_role}"' in client.get("/help").get_data(as_text=True)  # its own chapter
    if role in ("counter", "admin"):
        assert 'href="/help#counter.search"' in client.get("/counter/").get_data(as_text=True)
    if role == "admin":
        assert 'href="/help#admin.jobs"' in client.get("/admin/jobs").get_data(as_text=True)


def test_the_manual_pdf_is_served(app: Flask) -> None:
    client = app.test_client()
    login(client, "shimin")
    response = client.get("/help/manual.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert squeeze("操作マニュアル") in squeeze(pdf_text(response.data))
    assert app.test_client().get("/help").status_code == 302  # staff only: to the login page
