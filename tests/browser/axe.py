"""Accessibility checks run in the page by either driver: axe-core (npm, node_modules/axe-core) and the board's
legibility from 5 m.

axe-core is run in the driver's own script world (Playwright's evaluate, Marionette's sandbox), not added to the
page as a script tag: the pages' CSP forbids inline script, and the check must see the page as served.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from core.settings import REPO_ROOT

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# The PDF frame of the guide is Chromium's or pdf.js's viewer, not ours; axe would wait for it to answer.
_RUN = """
const result = await axe.run(document, {iframes: false, resultTypes: ['violations']});
return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 160))}));
"""

# The board from 5 m. The hall's screen is taken as a 43-inch full-HD panel (952 mm across 1920 px, so one CSS px
# is 0.5 mm at a device pixel ratio of 1). Japanese public-sign practice reads kanji from a distance of up to
# 250 times their height, and digits from 300 times: from 5 m that is 20 mm (40 px) for text and 16.7 mm (34 px)
# for the ticket numbers, asked larger here (the numbers are what a resident looks for): 60 px, 30 mm.
MM_PER_PX = 952 / 1920
DISTANCE_MM = 5000
MIN_TEXT_PX = round(DISTANCE_MM / 250 / MM_PER_PX)  # 40
MIN_TICKET_PX = 60
MIN_CONTRAST = 7.0  # WCAG AAA for the board: read at a distance, often against glare
# Colour helpers for the page: computed colours to WCAG relative luminance and contrast ratios.
COLOUR_JS = """
function rgb(c) {
  const m = (c.match(/[\\d.]+/g) || [0, 0, 0]).map(Number);
  return m.length > 3 && m[3] === 0 ? null : m.slice(0, 3);
}
function lum(c) {
  const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(x, y) { const a = lum(x), b = lum(y); return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }
function background(el) {
  for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c) return c; }
  return [255, 255, 255];
}
"""
_BOARD = COLOUR_JS + """
const out = [];
const texts = [...document.querySelectorAll('#board th, #board td, #board h2, #board .ticket')];
for (const el of texts) {
  if (!el.innerText.trim()) continue;
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect(), box = (el.closest('section') || document.body).getBoundingClientRect();
  const shown = r.bottom <= Math.min(box.bottom, innerHeight) + 1 && r.right <= Math.min(box.right, innerWidth) + 1;
  out.push({text: el.innerText.trim().slice(0, 20), ticket: el.classList.contains('ticket'), shown: shown,
            size: parseFloat(s.fontSize), contrast: contrast(rgb(s.color), background(el))});
}
return out;
"""


@cache
def axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: scripts/setup runs npm ci (axe-core is in package.json)")
    return AXE.read_text(encoding="utf-8")


def violations(d: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the driver's current page."""
    body = f"return (async () => {{ {axe_source()}\n{_RUN} }})();"
    found = d.js(body)
    return [v for v in found if v["impact"] in BLOCKING]


def assert_accessible(d: Any, where: str) -> None:
    """No serious or critical axe-core violation on the current page."""
    found = violations(d)
    assert not found, f"{d.name}, {where} ({d.path()}): " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in found)


def board_legibility(d: Any) -> list[str]:
    """What on the board is too small or too faint to read from 5 m, or cut off by the screen's edge (empty when
    all is readable).

    The one rule (docs/resident-side.md), at 1920×1080 and 1366×768 alike: the computed font-size of every
    heading and table cell is at least MIN_TEXT_PX (40 px), of every ticket number (``.ticket``) at least
    MIN_TICKET_PX (60 px), with a contrast of MIN_CONTRAST (7:1) against its background; and all of it inside the
    screen, since the board cannot be scrolled."""
    problems = []
    cells = d.js(_BOARD)
    assert cells, "nothing on the board to read"
    for cell in cells:
        if not cell["shown"]:
            problems.append(f"{cell['text']!r}: cut off by the edge of the screen")
        least = MIN_TICKET_PX if cell["ticket"] else MIN_TEXT_PX
        if cell["size"] < least:
            problems.append(f"{cell['text']!r}: {cell['size']:.0f} px < {least} px")
        if cell["contrast"] < MIN_CONTRAST:
            problems.append(f"{cell['text']!r}: contrast {cell['contrast']:.1f} < {MIN_CONTRAST}")
    return problems
