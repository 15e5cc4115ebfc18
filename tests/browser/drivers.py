"""One small driver API over two browsers, so a journey is written once and runs on both of the city's terminals.

* ``PlaywrightDriver`` wraps a Playwright page on Debian's Chromium (Edge is Chromium too).
* ``MarionetteDriver`` drives Debian's Firefox ESR through its built-in Marionette server with Mozilla's own
  client (``marionette-driver``): no driver binary, no patched browser build. Firefox is started headless with
  ``--marionette`` and a fresh temporary profile (mozprofile), and removed with it.

The API is deliberately thin and CSS-selector based (no Playwright-only selectors such as ``:has-text``), and every
wait is an explicit poll, so both browsers behave alike. Scripts run by ``js`` are *function bodies* reading
``arguments``; they run in the driver's own world, so the pages' CSP (no eval, no inline script) stays as served.
"""

from __future__ import annotations

import base64
import gc
import os
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

TIMEOUT_S = 10.0
FIREFOX = os.environ.get("MADOGUCHI_FIREFOX", "/usr/bin/firefox-esr")
A4_CM = {"width": 21.0, "height": 29.7}
# Page-side helpers shared by both drivers (function bodies; arguments[0] is a CSS selector).
# Shown as a person sees it: the element laid out with the page's stylesheets applied. The DOM is parsed before
# app.css arrives (a 304 revalidation, slow on a loaded machine), and until then the browser's own focus outline
# ("auto 1px") is drawn and autofocus waits; checking the focus ring or pressing Tab then tests an unstyled page.
_STYLED = """return document.readyState !== 'loading'
  && ![...document.querySelectorAll('link[rel=stylesheet]')].some(l => !l.sheet);"""
_VISIBLE = """const el = document.querySelector(arguments[0]);
if (!el) return false;
if ([...document.querySelectorAll('link[rel=stylesheet]')].some(l => !l.sheet)) return false;
const r = el.getBoundingClientRect(), s = getComputedStyle(el);
return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';"""
_FETCH = """return fetch(arguments[0], {credentials: 'same-origin'}).then(async (r) => {
  const blob = await r.blob();
  const url = await new Promise((ok, fail) => { const f = new FileReader(); f.onload = () => ok(f.result);
    f.onerror = () => fail(f.error); f.readAsDataURL(blob); });
  return {status: r.status, type: r.headers.get('content-type') || '', body: String(url).split(',')[1] || ''};
});"""  # a data: URL, not an ArrayBuffer: Marionette's sandbox may not read typed arrays across its Xray wall
_FOCUSED = """const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '', type: el.type || '',
        text: (el.innerText || el.value || '').trim().slice(0, 80),
        outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
        shadow: s.boxShadow !== 'none'};"""


class Driver(Protocol):
    """What a journey may ask of a browser."""

    name: str

    def goto(self, path: str) -> None: ...
    def resize(self, width: int, height: int) -> None: ...
    def path(self) -> str: ...
    def click(self, selector: str) -> None: ...
    def click_at(self, selector: str, x: float, y: float) -> None: ...
    def fill(self, selector: str, text: str) -> None: ...
    def select(self, selector: str, value: str) -> None: ...
    def check(self, selector: str) -> None: ...
    def press(self, key: str) -> None: ...
    def type(self, text: str) -> None: ...
    def js(self, body: str, *args: Any) -> Any: ...
    def draw(self, selector: str, points: Iterable[tuple[float, float]]) -> None: ...
    def pdf(self) -> bytes: ...
    def screenshot(self, path: Path) -> None: ...


class _Common:
    """The waits and reads both drivers build from ``js``."""

    name = "?"

    def js(self, body: str, *args: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def _until(self, what: str, probe: Any, timeout: float = TIMEOUT_S) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.05)

    def wait(self, selector: str, timeout: float = TIMEOUT_S) -> None:
        """Until an element matching ``selector`` is shown."""
        self._until(f"{selector!r} to be visible", lambda: self.js(_VISIBLE, selector), timeout)

    def wait_text(self, selector: str, text: str, timeout: float = TIMEOUT_S) -> str:
        """Until the element's text contains ``text``; returns the whole text."""
        def probe() -> str:
            got = self.text(selector, missing="")
            return got if text in got else ""

        return self._until(f"{selector!r} to contain {text!r}", probe, timeout)

    def wait_path(self, pattern: str, timeout: float = TIMEOUT_S) -> str:
        """Until the location's path (and query) matches the regular expression ``pattern``."""
        def probe() -> str:
            got = self.path()
            return got if re.fullmatch(pattern, got) and self.js(_STYLED) else ""

        return self._until(f"a path matching {pattern!r}", probe, timeout)

    def text(self, selector: str, missing: str | None = None) -> str:
        value = self.js("const el = document.querySelector(arguments[0]); return el ? el.innerText : null;",
                        selector)
        if value is None:
            if missing is None:
                raise AssertionError(f"{self.name}: no element {selector!r} on {self.path()}")
            return missing
        return value

    def value(self, selector: str) -> str:
        return self.js("return document.querySelector(arguments[0]).value;", selector)

    def attr(self, selector: str, name: str) -> str | None:
        return self.js("const el = document.querySelector(arguments[0]); return el && el.getAttribute(arguments[1]);",
                       selector, name)

    def count(self, selector: str) -> int:
        return self.js("return document.querySelectorAll(arguments[0]).length;", selector)

    def visible(self, selector: str) -> bool:
        return bool(self.js(_VISIBLE, selector))

    def focused(self) -> dict[str, Any] | None:
        """The element that has the keyboard focus, and whether its focus ring is drawn."""
        return self.js(_FOCUSED)

    def fetch(self, path: str) -> tuple[int, str, bytes]:
        """GET ``path`` with the page's cookies: status, content type, body."""
        got = self.js(_FETCH, path)
        return got["status"], got["type"], base64.b64decode(got["body"])


class PlaywrightDriver(_Common):
    """A Playwright page (Chromium)."""

    def __init__(self, page: Any, name: str = "chromium") -> None:
        self.page = page
        self.name = name

    def goto(self, path: str) -> None:
        self.page.goto(path)

    def resize(self, width: int, height: int) -> None:
        """The page's viewport, in CSS px (the screen a full-screen page fills)."""
        self.page.set_viewport_size({"width": width, "height": height})

    def path(self) -> str:
        return self.js("return location.pathname + location.search;")

    def click(self, selector: str) -> None:
        self.page.click(selector)

    def click_at(self, selector: str, x: float, y: float) -> None:
        self.page.click(selector, position={"x": x, "y": y})

    def fill(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)

    def select(self, selector: str, value: str) -> None:
        self.page.select_option(selector, value)

    def check(self, selector: str) -> None:
        self.page.check(selector)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def js(self, body: str, *args: Any) -> Any:
        """Run ``body``; a navigation under way (a form sent by Enter, say) is waited out, not an error."""
        for _ in range(100):
            try:
                return self.page.evaluate(f"(args) => (function () {{ {body} }}).apply(null, args)", list(args))
            except Exception as err:  # noqa: BLE001 - Playwright's Error has no subclass for this
                if "Execution context was destroyed" not in str(err):
                    raise
                self.page.wait_for_load_state("load")
        raise AssertionError(f"{self.name}: the page kept navigating")

    def draw(self, selector: str, points: Iterable[tuple[float, float]]) -> None:
        box = self.page.locator(selector).bounding_box()
        points = list(points)
        self.page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
        self.page.mouse.down()
        for x, y in points[1:]:
            self.page.mouse.move(box["x"] + x, box["y"] + y)
        self.page.mouse.up()

    def pdf(self) -> bytes:
        return self.page.pdf(format="A4", print_background=True)

    def screenshot(self, path: Path) -> None:
        self.page.screenshot(path=str(path), full_page=True)


class MarionetteDriver(_Common):
    """A Firefox ESR window driven through Marionette."""

    name = "firefox"

    def __init__(self, client: Any, base_url: str) -> None:
        self.client = client
        self.base_url = base_url

    def goto(self, path: str) -> None:
        self.client.navigate(self.base_url + path)

    def resize(self, width: int, height: int) -> None:
        """The page's viewport, in CSS px: the window is sized, then grown by what its frame takes."""
        self.client.set_window_rect(width=width, height=height)
        inner = self.js("return [window.innerWidth, window.innerHeight];")
        self.client.set_window_rect(width=2 * width - inner[0], height=2 * height - inner[1])

    def path(self) -> str:
        return re.sub(r"^[a-z]+://[^/]+", "", self.client.get_url())

    def _element(self, selector: str) -> Any:
        from marionette_driver.by import By

        self.wait(selector)
        return self.client.find_element(By.CSS_SELECTOR, selector)

    def click(self, selector: str) -> None:
        self._element(selector).click()

    def click_at(self, selector: str, x: float, y: float) -> None:
        """A click at (x, y) from the element's top left (SVG shapes the WebDriver click cannot scroll to)."""
        self.draw(selector, [(x, y)])

    def fill(self, selector: str, text: str) -> None:
        element = self._element(selector)
        if element.get_property("type") in ("date", "time", "datetime-local", "month", "number", "range"):
            self.js("""const el = document.querySelector(arguments[0]); el.value = arguments[1];
                el.dispatchEvent(new Event('input', {bubbles: true}));
                el.dispatchEvent(new Event('change', {bubbles: true}));""", selector, text)
            return
        element.clear()
        element.send_keys(text)

    def select(self, selector: str, value: str) -> None:
        from marionette_driver.by import By

        option = f"{selector} option[value='{value}']"
        self._element(selector).click()  # opens the list, as a person would, then picks the option
        self.client.find_element(By.CSS_SELECTOR, option).click()
        assert self.value(selector) == value, (selector, value)

    def check(self, selector: str) -> None:
        element = self._element(selector)
        if not element.is_selected():
            element.click()

    def press(self, key: str) -> None:
        from marionette_driver.keys import Keys

        code = {"Tab": Keys.TAB, "Enter": Keys.ENTER, "Space": Keys.SPACE, "ArrowDown": Keys.ARROW_DOWN,
                "ArrowUp": Keys.ARROW_UP, "Escape": Keys.ESCAPE}.get(key, key)
        seq = self.client.actions.sequence("key", "keyboard")
        if key == "Shift+Tab":
            seq.key_down(Keys.SHIFT).key_down(Keys.TAB).key_up(Keys.TAB).key_up(Keys.SHIFT)
        else:
            seq.key_down(code).key_up(code)
        seq.perform()

    def type(self, text: str) -> None:
        self.client.actions.sequence("key", "keyboard").send_keys(text).perform()

    def js(self, body: str, *args: Any) -> Any:
        return self.client.execute_script(body, script_args=list(args), sandbox="madoguchi", new_sandbox=False)

    def draw(self, selector: str, points: Iterable[tuple[float, float]]) -> None:
        self.wait(selector)
        box = self.js("const r = document.querySelector(arguments[0]).getBoundingClientRect();"
                      "return [r.x, r.y];", selector)
        points = list(points)
        seq = self.client.actions.sequence("pointer", "mouse", {"pointerType": "mouse"})
        seq.pointer_move(int(box[0] + points[0][0]), int(box[1] + points[0][1]))
        seq.pointer_down()
        for x, y in points[1:]:
            seq.pointer_move(int(box[0] + x), int(box[1] + y), duration=10)
        seq.pointer_up()
        seq.perform()

    def pdf(self) -> bytes:
        encoded = self.client._send_message(  # noqa: SLF001 - WebDriver:Print has no wrapper in the client
            "WebDriver:Print", {"page": A4_CM, "background": True, "shrinkToFit": True}, key="value")
        return base64.b64decode(encoded)

    def screenshot(self, path: Path) -> None:
        path.write_bytes(self.client.screenshot(format="binary", full=True))


def start_firefox() -> Any:
    """Firefox ESR headless with Marionette on a free port and a temporary profile; raises if it is missing."""
    if not (os.path.isfile(FIREFOX) and os.access(FIREFOX, os.X_OK)) and not shutil.which(FIREFOX):
        raise RuntimeError(f"no Firefox at {FIREFOX}: scripts/setup installs Debian's firefox-esr")
    from marionette_driver.marionette import Marionette

    with warnings.catch_warnings():
        # The client polls the port with sockets it leaves to the garbage collector: collect them here, quietly.
        warnings.simplefilter("ignore", ResourceWarning)
        # Firefox's own log goes to the temporary folder (the client's default is ./gecko.log, in the repository).
        log = Path(tempfile.gettempdir()) / f"madoguchi-gecko-{os.getpid()}.log"
        client = Marionette(bin=FIREFOX, headless=True, port=0, startup_timeout=90, gecko_log=str(log),
                            prefs={"intl.accept_languages": "ja-JP, ja",
                                   # Key events reach a headless Firefox synthesized, which its focus manager does
                                   # not count as "by keyboard"; a real Tab draws the ring, so draw it always.
                                   "browser.display.show_focus_rings": True})
        client.start_session()
        gc.collect()
    client.set_window_rect(width=1280, height=900)
    return client


def stop_firefox(client: Any) -> None:
    """End the session, stop Firefox and remove its profile now (not at interpreter exit)."""
    instance = client.instance
    client.cleanup()
    if instance is not None and instance.profile is not None:
        instance.profile.cleanup()
        instance.profile = None
