"""Text for the robot: only what CP932 can hold, and nothing a spreadsheet would run as a formula.

The rule (docs/rpa.md):
1. A character CP932 holds under another code point (〜 U+301C, ‖, −, ¢, £, ¬ — the "wave dash" set) is written as
   CP932 reads it back (～ U+FF5E …): same glyph on Windows, not flagged. ``—`` U+2014 becomes ``―`` U+2015.
2. An ideographic variation selector (IVS, U+E0100–E01EF) or variation selector (U+FE00–FE0F) is dropped: the base
   character is kept, the row is flagged for manual input (the glyph variant is lost).
3. Any other character CP932 lacks (外字, e.g. 𠮷) becomes 〓 and the row is flagged for manual input.
4. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that
   Excel (and WinActor's Excel reader) shows it as text instead of running it as a formula.
"""

from __future__ import annotations

GETA = "〓"
EXTRA = {"\u2014": "\u2015"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_selector(ch: str) -> bool:
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def degrade(text: str) -> tuple[str, bool]:
    """``text`` as CP932 can write it, and whether anything was lost (→ manual input)."""
    out: list[str] = []
    lost = False
    for ch in text:
        ch = EXTRA.get(ch, ch)
        if _is_selector(ch):
            lost = True
            continue
        try:
            out.append(ch.encode("cp932").decode("cp932"))
        except UnicodeEncodeError:
            out.append(GETA)
            lost = True
    return "".join(out), lost


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show, never evaluate."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def cell(value: object) -> tuple[str, bool]:
    """One CSV cell: text, degraded to CP932, formula-safe; and whether it needs manual input."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("1" if value else "0"), False
    text, lost = degrade(str(value))
    return neutralise(text), lost
