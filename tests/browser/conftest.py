"""Browser fixtures: the test app served on a real socket, driven by Playwright through Debian's Chromium.

* ``live_server`` (session) serves the ``app`` fixture's Flask app with werkzeug in a thread on 127.0.0.1 and a
  free port; its ``url`` is the base URL. The database is the ``app`` fixture's: users and sections stay, every
  other table is emptied after each test (see ``tests/conftest.py``).
* ``browser`` (session) is Chromium (``/usr/bin/chromium``, headless); ``page`` (per test) is a fresh context and
  page with Japanese locale. Never run ``playwright install``: there is no internet here.
* ``browser_login(page, username)`` logs a seeded user in through the login form.
* ``shot(page, name)`` (fixture) saves a full-page screenshot to ``test-artifacts/<test name>/NN-name.png``.

* ``drive`` (per test, parametrized) is the same journey's browser on both terminals: a ``PlaywrightDriver`` on
  Chromium and a ``MarionetteDriver`` on Debian's Firefox ESR (tests/browser/drivers.py). A missing Firefox fails
  the test: scripts/setup installs it. ``MADOGUCHI_JOURNEY_BROWSERS=chromium`` (or ``firefox``) narrows the run.

Mark tests with ``@pytest.mark.browser``. Playwright itself drives Chromium only (its Firefox is a patched build
of its own, not the city's Firefox ESR); Firefox is reached through Marionette instead.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from core.settings import REPO_ROOT
from tests.browser.drivers import MarionetteDriver, PlaywrightDriver, start_firefox, stop_firefox
from tests.conftest import PASSWORD

ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TIMEOUT_MS = 10_000
JOURNEY_BROWSERS = [b for b in os.environ.get("MADOGUCHI_JOURNEY_BROWSERS", "chromium,firefox").split(",") if b]


@dataclass
class LiveServer:
    """A running werkzeug server; ``url`` has no trailing slash."""

    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", server=server, thread=thread)
    server.shutdown()
    thread.join(timeout=5)


def launch_browser(playwright: Any, name: str) -> Any:
    """Chromium from Debian (Firefox ESR runs the journeys through Marionette: the ``drive`` fixture)."""
    if name == "chromium":
        return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    raise pytest.UsageError(f"MADOGUCHI_BROWSER={name!r}: Playwright drives chromium here; Firefox ESR runs the "
                            "journeys of tests/browser/test_journeys.py (MADOGUCHI_JOURNEY_BROWSERS)")


@pytest.fixture(scope="session")
def browser_name() -> str:
    return os.environ.get("MADOGUCHI_BROWSER", "chromium")


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, browser_name: str) -> Iterator[Any]:
    instance = launch_browser(playwright_instance, browser_name)
    yield instance
    instance.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def new_page(context: Any, browser: Any, live_server: LiveServer) -> Callable[[], Any]:
    """Open another page in its own context (another user's browser, with its own cookies)."""
    contexts: list[Any] = []

    def make() -> Any:
        ctx = browser.new_context(base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo",
                                  viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="session")
def firefox(live_server: LiveServer) -> Iterator[Any]:
    """Debian's Firefox ESR, headless, with Marionette and a temporary profile, for the whole session."""
    client = start_firefox()
    yield client
    stop_firefox(client)


@pytest.fixture(params=JOURNEY_BROWSERS)
def drive(request: pytest.FixtureRequest, live_server: LiveServer) -> Any:
    """The journey's browser: Chromium through Playwright, or Firefox ESR through Marionette (no cookies left)."""
    if request.param == "chromium":
        return PlaywrightDriver(request.getfixturevalue("page"))
    if request.param != "firefox":
        raise pytest.UsageError(f"MADOGUCHI_JOURNEY_BROWSERS: {request.param!r} is neither chromium nor firefox")
    client = request.getfixturevalue("firefox")
    client.navigate(live_server("/login"))
    client.delete_all_cookies()
    return MarionetteDriver(client, live_server.url)


def browser_login(page: Any, username: str, password: str = PASSWORD, terminal: str | None = None) -> None:
    """Log a user in through the login form (logging out first if someone is logged in)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    if terminal:
        page.fill("#terminal", terminal)
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, f"login of {username} failed: {page.url}"


def draw_signature(page: Any) -> None:
    """Draw a zigzag on the signature pad, as a finger would (once the pad listens: on a loaded machine the
    page may show before its script has run)."""
    page.wait_for_selector("#signature-pad[data-ready='1']")
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 100)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(box["x"] + 40 + step * 15, box["y"] + 100 + (step % 5) * 12)
    page.mouse.up()


def browser_logout(page: Any) -> None:
    """Press the ログアウト button."""
    page.click("form.logout button[type=submit]")
    page.wait_for_url(re.compile(r".*/login.*"))


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shot(page, "name")`` saves a full-page PNG under test-artifacts/<test>/ and returns its path."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    counter = iter(range(1, 1000))

    def take(page: Any, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]+", "_", name)
        path = folder / f"{next(counter):02d}-{safe}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
