"""The city's 4 GB terminals: memory of the heaviest pages in Chromium and Firefox ESR, and a working day of inbox
refreshes.

    .venv/bin/python bench/browser.py [--quick] [--check] [--browsers chromium,firefox] [--refreshes N]

On a fresh SQLite database (bench/harness.py) with 200 tasks waiting in the counter's inbox, the app is served on
a real socket and each browser (Debian's Chromium through Playwright, Debian's Firefox ESR through Marionette,
both headless, the drivers of tests/browser/drivers.py) opens, logged in as the role that uses it:

* the designer's BPMN editor on the largest journey (journey_tennyu: bpmn-js, properties panel, lint),
* the manager's diagram of a case (bpmn-js viewer with markers),
* the inbox with its 200 rows.

For each page, after a forced garbage collection: the tab's **JS heap** (Chromium: V8's used heap from the
DevTools Performance domain; Firefox: the used GC heap of the tab's content process from its memory reporters)
and the **resident memory** of the tab's own process (Chromium: the renderer's PSS via psutil; Firefox: that
content process's resident-unique memory plus its share of the rest, i.e. its PSS via psutil) and of the whole
browser (PSS summed over its process tree, so shared pages are counted once).

Then the working day: the inbox refreshes its rows every 10 s (htmx); a day of 8 h 20 min is 3,000 refreshes,
run back to back through htmx itself (``--quick``: 300). Growth is measured from after the first tenth (caches
warm) to the end, both after a garbage collection.

Goals (issue 23): ≤ 300 MB per tab (the tab's process), growth ≤ 10 % (JS heap and the tab's memory) over the
day. ``--check`` exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.harness import PASSWORD, actor, backend_app  # noqa: E402
from core.db import db  # noqa: E402
from tests.browser.drivers import MarionetteDriver, _Common, start_firefox, stop_firefox  # noqa: E402
from workflows import runtime  # noqa: E402

MB = 1024 * 1024
TAB_GOAL_MB = 300
GROWTH_GOAL = 0.10
INBOX_ROWS = 200
BATCH = 50
PAUSE_MS = 100
_REFRESH = """
const w = window.wrappedJSObject || window, el = document.querySelector('#inbox-rows');
const url = el.getAttribute('hx-get');
let chain = Promise.resolve();
const pause = () => new Promise(done => setTimeout(done, arguments[1]));  // the page's idle time: GC runs there
for (let i = 0; i < arguments[0]; i++) chain = chain.then(() => w.htmx.ajax('GET', url, '#inbox-rows')).then(pause);
return chain.then(() => document.querySelectorAll('#inbox-rows tr[data-task]').length);
"""
_FIREFOX_MEMORY = """
const resolve = arguments[arguments.length - 1], needle = arguments[0];
const mgr = Cc["@mozilla.org/memory-reporter-manager;1"].getService(Ci.nsIMemoryReporterManager);
const heap = {}, tabs = {};
mgr.minimizeMemoryUsage(() => mgr.getReports((process, path, kind, units, amount) => {
  if (path.startsWith('js-main-runtime-gc-heap-committed/used/')) heap[process] = (heap[process] || 0) + amount;
  if (path.startsWith('explicit/window-objects/top(') && path.includes(needle)) tabs[process] = 1;
}, null, () => resolve({heap, tabs: Object.keys(tabs)}), null, false));
"""


def pss(proc: psutil.Process) -> int:
    """Proportional set size (shared pages split among their users) less the pages the allocator has already given
    back with MADV_FREE (``LazyFree``: Linux leaves them counted until it needs them; Windows, the terminals'
    system, decommits at once). psutil's RSS where /proc/PID/smaps_rollup cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        fields = {}
        for line in Path(f"/proc/{proc.pid}/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) * 1024
        return fields["Pss"] - fields.get("LazyFree", 0)
    with contextlib.suppress(psutil.Error):
        return proc.memory_info().rss
    return 0


def tree(root: psutil.Process) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return [root, *root.children(recursive=True)]
    return []


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def seed() -> int:
    """200 reception tasks in the counter's inbox (the engine tests' 転入); returns one case for the diagram."""
    counter = actor("counter")
    ids = [runtime.start_case(process_key="tennyu", actor=counter, data={}).id for _ in range(INBOX_ROWS)]
    db.session.commit()
    return ids[0]


class CdpPipe:
    """Chromium driven over --remote-debugging-pipe with the DevTools protocol, Runtime and Page domains only.

    Not Playwright here: Playwright enables the Network domain, whose agent in the renderer keeps every response
    body for the inspector (about 240 KB per inbox refresh, up to its buffer limit), a growth no terminal has."""

    def __init__(self, binary: str, args: list[str]) -> None:
        import json
        import subprocess
        import tempfile

        self.json = json
        self.profile = tempfile.TemporaryDirectory(prefix="madoguchi-chromium-")
        to_chrome, self.out = os.pipe()
        self.inp, from_chrome = os.pipe()

        def fds() -> None:  # the browser reads commands on fd 3 and answers on fd 4
            os.dup2(to_chrome, 3)
            os.dup2(from_chrome, 4)

        self.proc = subprocess.Popen([binary, "--headless", "--remote-debugging-pipe", "--window-size=1280,900",
                                      f"--user-data-dir={self.profile.name}", *args, "about:blank"],
                                     preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_chrome)
        os.close(from_chrome)
        self.buffer, self.next_id, self.session = b"", 0, None
        target = next(t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self.out, self.json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.inp, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed its DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            answer = self.json.loads(raw)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        os.close(self.out)
        os.close(self.inp)
        self.profile.cleanup()


class CdpDriver(_Common):
    """Enough of the drivers' API for the bench (fill and click set values and click through the DOM)."""

    name = "chromium"

    def __init__(self, pipe: CdpPipe, base_url: str) -> None:
        self.pipe, self.base_url = pipe, base_url

    def js(self, body: str, *args: Any) -> Any:
        expression = f"(function () {{ {body} }}).apply(null, {self.pipe.json.dumps(list(args))})"
        got = self.pipe.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in got:
            raise RuntimeError(f"chromium: {got['exceptionDetails']}")
        return got["result"].get("value")

    def goto(self, path: str) -> None:
        self.pipe.send("Page.navigate", url=self.base_url + path)
        self._until("the page to load", lambda: self._loaded(path.split("?")[0]), 30)

    def _loaded(self, path: str) -> bool:
        with contextlib.suppress(RuntimeError):
            return bool(self.js("return document.readyState === 'complete' && location.pathname;"))
        return False

    def path(self) -> str:
        return self.js("return location.pathname + location.search;")

    def fill(self, selector: str, text: str) -> None:
        self.js("document.querySelector(arguments[0]).value = arguments[1];", selector, text)

    def click(self, selector: str) -> None:
        self.js("setTimeout(() => document.querySelector(arguments[0]).click(), 0);", selector)
        time.sleep(0.3)
        self._until("the page to settle", lambda: self._loaded(""), 30)


class Chromium:
    """Debian's Chromium over the DevTools pipe; the tab is its largest renderer process."""

    name = "chromium"

    def __init__(self, base_url: str) -> None:
        from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

        self.pipe = CdpPipe(CHROMIUM, CHROMIUM_ARGS)
        self.driver = CdpDriver(self.pipe, base_url)
        self.pipe.send("Performance.enable")
        self.root = psutil.Process(self.pipe.proc.pid)

    def measure(self) -> dict[str, float]:
        self.pipe.send("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in self.pipe.send("Performance.getMetrics")["metrics"]}
        procs = tree(self.root)
        renderers = [p for p in procs if "--type=renderer" in " ".join(p.cmdline())]
        return {"heap": metrics["JSHeapUsedSize"] / MB, "tab": max(pss(p) for p in renderers) / MB,
                "browser": sum(pss(p) for p in procs) / MB}

    def close(self) -> None:
        self.pipe.close()


class Firefox:
    """A Marionette window on Firefox ESR; the tab's content process named by its memory reporters."""

    name = "firefox"

    def __init__(self, base_url: str) -> None:
        self.client = start_firefox()
        self.driver = MarionetteDriver(self.client, base_url)
        self.root = psutil.Process(self.client.process_id)
        self.host = base_url.split("://", 1)[1]

    def measure(self) -> dict[str, float]:
        with self.client.using_context("chrome"):
            got = self.client.execute_async_script(_FIREFOX_MEMORY, script_args=[self.host], script_timeout=120_000)
        label = got["tabs"][0]
        pid = int(label.split("pid ", 1)[1].split(")")[0].split(",")[0])
        return {"heap": got["heap"][label] / MB, "tab": pss(psutil.Process(pid)) / MB,
                "browser": sum(pss(p) for p in tree(self.root)) / MB}

    def close(self) -> None:
        stop_firefox(self.client)


def login(d: Any, username: str) -> None:
    d.goto("/login")
    d.fill("#username", username)
    d.fill("#password", PASSWORD)
    d.click("form.card button[type=submit]")
    d.wait("form.logout")


def run_browser(kind: type, base_url: str, case_id: int, refreshes: int) -> dict[str, Any]:
    tab = kind(base_url)
    d, result = tab.driver, {"pages": {}}
    try:
        for role, path, ready in (("designer", "/designer/models/journey_tennyu/edit", "body[data-editor-ready='1']"),
                                  ("manager", f"/manager/cases/{case_id}", "#diagram[data-ready='1']"),
                                  ("counter", "/inbox", "#inbox-rows tr[data-task]")):
            login(d, role)
            d.goto(path)
            d.wait(ready, timeout=60)
            time.sleep(1.0)
            result["pages"][path.split("/")[1] + ":" + path.rsplit("/", 1)[-1]] = tab.measure()
            if role != "counter":
                d.goto("/")
                d.click("form.logout button[type=submit]")
                d.wait("#username")
        assert d.count("#inbox-rows tr[data-task]") == INBOX_ROWS, d.count("#inbox-rows tr[data-task]")
        result["day"] = day(tab, refreshes)
    finally:
        tab.close()
    return result


def day(tab: Any, refreshes: int) -> dict[str, Any]:
    """The inbox's refreshes, measured at every tenth of the day; growth from the first tenth (warm) to the end."""
    step = max(refreshes // 10, 1)
    started, trend, done = time.monotonic(), [], 0
    while done < refreshes:
        count = min(step, refreshes - done)
        _refresh(tab.driver, count)
        done += count
        trend.append((done, tab.measure()))
    before, after = trend[0][1], trend[-1][1]
    return {"refreshes": refreshes, "seconds": time.monotonic() - started, "before": before, "after": after,
            "trend": trend, "growth": {k: (after[k] - before[k]) / before[k] for k in ("heap", "tab")}}


def _refresh(d: Any, count: int) -> None:
    while count > 0:
        n = min(BATCH, count)
        rows = d.js(_REFRESH, n, PAUSE_MS)
        assert rows == INBOX_ROWS, f"{d.name}: {rows} rows after a refresh"
        count -= n


def report(name: str, result: dict[str, Any]) -> list[str]:
    """Print one browser's numbers; returns the goals it missed."""
    missed = []
    print(f"\n{name}: page                         JS heap MB   tab MB   browser MB")
    for page, m in result["pages"].items():
        print(f"  {page:<36} {m['heap']:8.1f} {m['tab']:8.1f} {m['browser']:10.1f}")
        if m["tab"] > TAB_GOAL_MB:
            missed.append(f"{name} {page}: tab {m['tab']:.0f} MB > {TAB_GOAL_MB} MB")
    day_ = result["day"]
    b, a, g = day_["before"], day_["after"], day_["growth"]
    print(f"  day: {day_['refreshes']} inbox refreshes in {day_['seconds']:.0f} s: "
          f"JS heap {b['heap']:.1f} → {a['heap']:.1f} MB ({g['heap']:+.1%}), "
          f"tab {b['tab']:.1f} → {a['tab']:.1f} MB ({g['tab']:+.1%}), browser {b['browser']:.0f} → "
          f"{a['browser']:.0f} MB")
    print("  tab MB at each tenth: " + " ".join(f"{n}:{m['tab']:.0f}" for n, m in day_["trend"]))
    for key, value in g.items():
        if value > GROWTH_GOAL:
            missed.append(f"{name} day: {key} grew {value:.1%} > {GROWTH_GOAL:.0%}")
    if a["tab"] > TAB_GOAL_MB:
        missed.append(f"{name} inbox after the day: tab {a['tab']:.0f} MB > {TAB_GOAL_MB} MB")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 refreshes instead of 3,000")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--browsers", default="chromium,firefox")
    parser.add_argument("--refreshes", type=int, default=None)
    args = parser.parse_args(argv)
    refreshes = args.refreshes or (300 if args.quick else 3000)
    kinds = {"chromium": Chromium, "firefox": Firefox}
    missed: list[str] = []
    with backend_app("sqlite") as app:
        case_id = seed()
        with served(app) as url:
            for name in args.browsers.split(","):
                missed += report(name, run_browser(kinds[name], url, case_id, refreshes))
    print(f"\ngoals: ≤ {TAB_GOAL_MB} MB per tab, growth ≤ {GROWTH_GOAL:.0%} over the day")
    for line in missed:
        print("MISSED:", line)
    if not missed:
        print("all goals met")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
