"""HTML print templates to PDF with WeasyPrint: one Jinja environment, one stylesheet, one font configuration.

The stylesheet and the font configuration are built once per process and reused, so a warm render only lays
out the page (fonts are subset by libharfbuzz-subset when it is installed — see DESIGN.md). Several documents
(a visit's forms) are laid out in parallel by a pool of worker processes (``MADOGUCHI_RENDER_WORKERS``, default
the number of CPUs up to 4; ``1`` renders in the calling process); the print thread's pool runs at a lower CPU
priority (``MADOGUCHI_RENDER_NICE``). One layout pass for the whole visit was
measured slower than separate passes, so each document keeps its own pass.

A render holds tens of thousands of objects for its whole duration. With the collector running, the survivors of
two young collections are promoted to the oldest generation, and every few renders that triggers a full
collection of the whole process heap — about 100 ms each in a process that also holds the application (measured
with bench/documents.py), a third of a warm render on average. So the automatic collector is paused during a
render and the render's own reference cycles are collected from the youngest generation right after (a few ms):
nothing of the render reaches the old generations, and nothing is left behind (:func:`_collector_paused`).
The PDF's streams are deflated at zlib level 6 by a finisher (:func:`_deflate`) rather than by pydyf at level 9,
the HTML is parsed by lxml and styled with the forms' own user-agent stylesheet (:mod:`forms.printhtml`), and the
templates keep boxes few (docs/forms.md, "Rendering speed").
"""

from __future__ import annotations

import base64
import gc
import multiprocessing
import os
import threading
import zlib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pydyf
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from forms import wareki
from forms.printhtml import PrintHTML
from forms.taskforms import LIBRARY

PRINT_DIR = Path(__file__).resolve().parent / "print"
PT_MM = 0.3528  # one point in millimetres
MIN_PT = 5.5


def text_units(text: str) -> float:
    """The width of ``text`` in em: full-width characters count 1, ASCII and half-width kana 0.5."""
    return sum(0.5 if ord(ch) < 0x2000 or 0xFF61 <= ord(ch) <= 0xFF9F else 1.0 for ch in text)


def fit_pt(text: object, width_mm: float, lines: int = 1, size_pt: float = 10.5) -> float:
    """The font size that makes ``text`` fit ``lines`` lines of a ``width_mm`` box: ``size_pt`` or less, ≥ 5.5."""
    units = text_units("" if text is None else str(text))
    if units == 0:
        return size_pt
    fitting = width_mm * lines / (units * PT_MM) * 0.96  # a little room for line breaks inside words
    return max(MIN_PT, min(size_pt, round(fitting, 2)))


def fit(text: object, width_mm: float, lines: int = 1, size_pt: float = 10.5) -> str:
    """An inline font-size that makes ``text`` fit ``lines`` lines of a ``width_mm`` box (never below 5.5pt)."""
    return f"font-size:{fit_pt(text, width_mm, lines, size_pt)}pt"


def shrink(text: object, width_mm: float, lines: int = 1, size_pt: float = 10.5,
           class_pt: float | None = None) -> Markup:
    """`` style="font-size:…"`` with :func:`fit`'s size, or nothing when that is the size the element's class sets.

    ``class_pt`` is the font size base.css gives the element (default ``size_pt``). Most values fit at full
    size, and an element without a style attribute is cheaper to lay out: no declarations to parse and cascade.
    """
    size = fit_pt(text, width_mm, lines, size_pt)
    return Markup("" if size == (size_pt if class_pt is None else class_pt) else f' style="font-size:{size}pt"')


def postal(code: object) -> str:
    """``7530001`` → ``753-0001``."""
    digits = "".join(ch for ch in str(code or "") if ch.isdigit())
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else str(code or "")


def _wareki_filter(value: Any, foreign: bool = False, digits: str = "ascii") -> str:
    try:
        return wareki.to_wareki(value, foreign=foreign, digits=digits)
    except ValueError:
        return str(value)


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader([str(PRINT_DIR), str(LIBRARY)]), autoescape=select_autoescape(
        enabled_extensions=("html",), default_for_string=True), undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.filters.update(wareki=_wareki_filter, fw=wareki.fullwidth, fit=fit, shrink=shrink,
                       postal=postal)
    return env


@cache
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    fonts = FontConfiguration()
    return CSS(string=(PRINT_DIR / "base.css").read_text(encoding="utf-8"), font_config=fonts), fonts


def render_html(template: str, **context: Any) -> str:
    """The filled template (a form's ``<key>/print.html``, ``generic.html`` or ``guide.html``; a layout uploaded
    in the designer's page, ``deployed:<key>@…``, is rendered in a sandbox by :mod:`forms.deployed`)."""
    if template.startswith("deployed:"):
        from forms import deployed  # imported here: deployed builds on this module

        return deployed.render_template(template, context)
    return environment().get_template(template).render(**context)


_gc_lock = threading.Lock()
_gc_renders = 0  # renders running with the collector paused (threads of one process)
_gc_resume = False  # whether the collector was enabled when the first of them started


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while a render runs; its cycles are collected from generation 0 after.

    The pause is counted across threads, so the collector resumes when the last concurrent render ends, and
    only if it was enabled before the first one started (a caller that disabled it keeps it disabled).
    """
    global _gc_renders, _gc_resume
    with _gc_lock:
        if _gc_renders == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            last = _gc_renders == 0
            if last and _gc_resume:
                gc.enable()
        if last and _gc_resume:
            gc.collect(0)


def _deflate(document: Any, pdf: pydyf.PDF) -> None:
    """Compress the PDF's streams at zlib level 6 (a ``write_pdf`` finisher; WeasyPrint writes them uncompressed).

    pydyf compresses at level 9: three times the CPU of level 6 for a 1 % smaller file (a form's subset font and
    page content: about 6 ms against 2 ms). Streams that already carry a filter (images) are left as they are.
    """
    for obj in pdf.objects:
        if (isinstance(obj, pydyf.Stream) and not obj.compress and "Filter" not in obj.extra
                and all(isinstance(chunk, bytes) for chunk in obj.stream)):
            obj.stream = [zlib.compress(b"\n".join(obj.stream), 6)]
            obj.extra["Filter"] = "/FlateDecode"


# One layout at a time in a process. The stylesheet's FontConfiguration (fontconfig and Pango's font map, native
# state) is shared and not thread-safe: a request rendering a document while the worker's print thread
# (web.printer) rendered another corrupted the heap ("free(): invalid next size", the worker killed by SIGABRT;
# bench/load.py). Batches are laid out in parallel by the pool's processes, each with its own fonts.
_layout_lock = threading.Lock()


def html_to_pdf(html: str) -> bytes:
    """A PDF of ``html`` with the shared A4 stylesheet and fonts."""
    css, fonts = _stylesheet()
    with _layout_lock, _collector_paused():
        return PrintHTML(html, base_url=str(PRINT_DIR)).write_pdf(
            stylesheets=[css], font_config=fonts, uncompressed_pdf=True, finisher=_deflate)


# The pools: a request's batch (``False``), and the print thread's (``True``), whose processes run at a lower CPU
# priority (``MADOGUCHI_RENDER_NICE``, default 10): the layout of what was printed after a response yields the
# cores to the requests of fifty terminals, which wait for their answers while nobody waits for that PDF (a
# reader of a document not yet laid out renders it at once, at the request's priority: printing.ensure_rendered).
_pools: dict[bool, ProcessPoolExecutor] = {}
_pool_lock = threading.Lock()


def workers() -> int:
    """How many processes lay out a batch of documents (``MADOGUCHI_RENDER_WORKERS``; 1 = no pool)."""
    raw = os.environ.get("MADOGUCHI_RENDER_WORKERS", "")
    return max(1, int(raw)) if raw.isdigit() else min(os.cpu_count() or 1, 4)


def background_nice() -> int:
    """How much nicer than the app the print thread's layout processes run (``MADOGUCHI_RENDER_NICE``, 0–19)."""
    raw = os.environ.get("MADOGUCHI_RENDER_NICE", "")
    return min(19, int(raw)) if raw.isdigit() else 10


def _warm(nice: int = 0) -> None:
    if nice:
        os.nice(nice)  # this process only: the pool's, never the app's
    html_to_pdf("<p>あ𠮷</p>")  # load the fonts once per worker


def _executor(background: bool) -> ProcessPoolExecutor:
    with _pool_lock:
        if background not in _pools:
            context = multiprocessing.get_context("forkserver")  # workers fork from a clean, preloaded server
            context.set_forkserver_preload(["forms.render"])
            _pools[background] = ProcessPoolExecutor(max_workers=workers(), mp_context=context, initializer=_warm,
                                                     initargs=(background_nice() if background else 0,))
        return _pools[background]


def pool(*, background: bool = False) -> ProcessPoolExecutor | None:
    """The running pool of that kind, None before its first batch (tests, bench/documents.py)."""
    return _pools.get(background)


def shutdown() -> None:
    """Stop the worker processes (they are started again on the next batch)."""
    with _pool_lock:
        pools = list(_pools.values())
        _pools.clear()
    for executor in pools:
        executor.shutdown(wait=True, cancel_futures=True)


def html_to_pdfs(htmls: list[str], *, background: bool = False) -> list[bytes]:
    """PDFs of several documents, in order; laid out in parallel when there are several and workers > 1.

    ``background``: the print thread's — in the pool even for one document (this process's own layout stays free
    for a request that reads a document not yet laid out, instead of waiting behind the thread's), by processes
    of lower priority."""
    if not htmls:
        return []
    if workers() < 2 or (len(htmls) == 1 and not background):
        return [html_to_pdf(html) for html in htmls]
    try:
        return list(_executor(background).map(html_to_pdf, htmls))
    except BrokenProcessPool:  # a worker died: start afresh next time, render here now
        shutdown()
        return [html_to_pdf(html) for html in htmls]


def data_uri(png: bytes | None) -> str | None:
    """A PNG as a ``data:`` URI for ``<img src>`` (WeasyPrint reads it without touching the network)."""
    return None if png is None else "data:image/png;base64," + base64.b64encode(png).decode("ascii")
