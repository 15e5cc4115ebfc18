"""Every page in both languages: a Japanese page shows no English word, an English page no Japanese, outside data.

The pages are every GET rule of the url_map that answers HTML, called as each role of the route matrix
(``tests/security/test_route_matrix.py``: its world of a small city, its objects). *Data* is what the city stores
or configures — every text column of every table, the diagrams, decision tables and forms of the repository — and
may be in either language (a resident's name, a procedure's title); everything else the page says comes from the
catalogue. Codes and names (PDF, BPMN, cron) are allowed on Japanese pages by :data:`LATIN_ALLOWED`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from flask import Flask
from flask_babel import refresh
from sqlalchemy import String, Text, select

from core.db import db
from core.settings import REPO_ROOT
from tests.security.test_route_matrix import ROLE_USERS, Route, World, _world, routes

LATIN_WORD = re.compile(r"(?<![\w.@/-])[A-Za-z][A-Za-z]+(?:'[a-z]+)?(?![\w@/.-])")
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f][\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f\u30fc]*")
# Codes, formats, product and standard names a Japanese page may show as they are.
LATIN_ALLOWED = {"Madoguchi", "English", "PDF", "CSV", "RPA", "BPMN", "DMN", "XML", "YAML", "JSON", "FEEL",
                 "ID", "URL", "UTF", "CP", "cron", "Python", "QR", "OK", "HTML", "bpmn", "js", "differ", "proc",
                 "DV", "of", "mon", "fri", "my", "number", "row", "name", "box", "procedure", "per", "include",
                 "mapping", "guide", "print", "rpa", "Pattern", "A", "C", "D", "v", "min", "max", "sat", "sun"}
# The language switches (日本語, やさしい日本語); dates typed in examples.
JAPANESE_ALLOWED = {"日本語", "やさしい日本語", "令和", "年", "月", "日", "昭和"}
VISIBLE_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt)="([^"]*)"')
# The Japanese manual and training text are content the spec asks for in Japanese, as the diagrams and forms are.
DATA_FILES = ("bpmn/**/*.bpmn", "bpmn/**/*.dmn", "bpmn/**/*.yaml", "forms/library/**/*", "forms/print/**/*",
              "web/help/manual.yaml", "web/help/training.yaml", "workflows/**/*.yaml", "core/**/*.yaml",
              "residents/**/*.yaml", "integrations/**/*.yaml")


def visible_text(page: str) -> str:
    """What a reader sees: the text outside tags, scripts and styles, and the attributes read aloud or hovered."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    attributes = " ".join(VISIBLE_ATTRIBUTES.findall(page))
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(f"{text} {attributes}")


def data_corpus() -> str:
    """Every text the database holds and every configuration file of the repository, as one string."""
    parts: list[str] = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if columns:
            for row in db.session.execute(select(*columns)):
                parts.extend(str(v) for v in row if v)
    for pattern in DATA_FILES:
        for path in REPO_ROOT.glob(pattern):
            if path.is_file():
                parts.append(path.read_text(encoding="utf-8", errors="ignore"))
    return "\n".join(parts)


def pages(app: Flask) -> list[Route]:
    """The GET rules of the pages (not the API, files or assets)."""
    skip = ("/api/", "/static/", "/assets/", "/metrics", "/healthz")
    return [Route(key, endpoint) for key, endpoint in sorted(routes(app).items())
            if key.startswith("GET ") and not key.removeprefix("GET ").startswith(skip)]


def rendered(world: World, route: Route, role: str, language: str) -> str | None:
    """The page's HTML as ``role`` reads it in ``language`` (None: not an HTML page for this role)."""
    client = world.app.test_client()
    cookie, _token = world.sessions[role]
    client.set_cookie("session", cookie)
    response = client.get(route.url(world.app, world.plain), headers={"Accept-Language": language})
    page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    response.close()
    return page if response.status_code == 200 and page else None


def foreign(text: str, language: str, corpus: str) -> Iterator[str]:
    """The words of the other language in ``text`` that are not data."""
    if language == "ja":
        for word in LATIN_WORD.findall(text):
            if word not in LATIN_ALLOWED and not re.search(rf"\b{re.escape(word)}\b", corpus):
                yield word
    else:
        for run in JAPANESE.findall(text):
            if run not in JAPANESE_ALLOWED and run not in corpus:
                yield run


def walk(world: World, language: str, corpus: str) -> tuple[int, dict[str, set[str]]]:
    """(how many pages were read, each foreign word → where it was seen)."""
    found: dict[str, set[str]] = {}
    walked = 0
    for route in pages(world.app):
        for role in ROLE_USERS:
            page = rendered(world, route, role, language)
            if page is None:
                continue
            walked += 1
            for word in foreign(visible_text(page), language, corpus):
                found.setdefault(word, set()).add(f"{route.key} ({role})")
    return walked, found


def test_every_page_speaks_one_language(app: Flask) -> None:
    world = _world(app)
    corpus = data_corpus()
    failures = []
    for language in ("ja", "en"):
        walked, found = walk(world, language, corpus)
        assert walked > 60, f"only {walked} {language} pages walked"
        failures += [f"{language}: {word!r} on {', '.join(sorted(where)[:3])}" for word, where in sorted(found.items())]
    assert not failures, f"{len(failures)} words of the other language:\n" + "\n".join(failures)


def test_the_scan_finds_the_other_language() -> None:
    """The scan itself: an English word on a Japanese page, Japanese on an English one, data left alone."""
    corpus = "山口　太郎\nshimin"
    assert list(foreign(visible_text("<p>受付 succeeded shimin PDF</p>"), "ja", corpus)) == ["succeeded"]
    assert list(foreign(visible_text('<p title="完了">Name 山口</p>'), "en", corpus)) == ["完了"]


def test_the_language_is_chosen_per_user_and_by_the_browser(app: Flask) -> None:
    client = app.test_client()
    assert "ログイン" in client.get("/login").get_data(as_text=True)
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in client.get("/login").get_data(as_text=True)  # kept in the session
    assert "ログイン" in client.get("/login?lang=ja", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_validation_messages_name_their_field_in_the_readers_language(app: Flask) -> None:
    """marshmallow's English messages through the catalogue: 「氏名」: 入力してください, or English for English."""
    from core.i18n import named_messages
    from web.i18n import field_messages

    raw = {"name": ["Field may not be null."], "kana": ["Length must be between 1 and 10."]}
    named = named_messages(raw, {"name": "氏名", "kana": "フリガナ"})
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        refresh()
        assert field_messages(named) == {"name": ["「氏名」: 入力してください"],
                                         "kana": ["「フリガナ」: 1〜10文字で入力してください"]}
    with app.test_request_context("/?lang=en"):
        refresh()
        assert field_messages(named) == {"name": ['"Name": Required'], "kana": ['"Kana": Enter 1 to 10 characters']}


def test_a_conflict_and_a_missing_page_in_japanese_and_english(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/no-such-page").get_data(as_text=True)
    assert "お探しのページは見つかりません" in missing and "requested URL" not in missing
    assert "was not found" in client.get("/no-such-page?lang=en").get_data(as_text=True)
    from core.i18n import N_, state_name
    from web.i18n import translate

    conflict = N_("タスク {task} は既に{state}です（{who}）", task=14, state=state_name("completed"), who="shimin")
    assert conflict == "タスク 14 は既に完了です（shimin）"
    with app.test_request_context("/?lang=en"):
        refresh()
        assert translate(conflict) == "Task 14 is already Completed (shimin)"
