"""Normalisation shared by the importer and the search: kana and name keys, dates, check digits."""

from __future__ import annotations

import re
from datetime import date

import jaconv

from core import dates

# Variant (異体字) forms folded to their common form in search keys, so 高橋 finds 髙橋.
VARIANTS = str.maketrans({
    "髙": "高", "﨑": "崎", "𠮷": "吉", "邊": "辺", "邉": "辺", "澤": "沢", "齋": "斎", "齊": "斉",
    "濱": "浜", "嶋": "島", "嶌": "島", "廣": "広", "國": "国", "櫻": "桜", "冨": "富", "籠": "篭",
    "德": "徳", "惠": "恵", "眞": "真", "龍": "竜", "祐": "祐", "槇": "槙", "塚": "塚", "靜": "静",
})
_SPACES = re.compile(r"[\s\u3000]+")
# Full-width ASCII (！–～) to ASCII, plus the dashes addresses use, in one translate() call.
_WIDTH = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                        "−": "-", "‐": "-", "－": "-", "ー": "ー"})
_IVS = re.compile("[\U000e0100-\U000e01ef\ufe00-\ufe0f]")
_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")


def kana_key(text: str | None) -> str:
    """Katakana, full width, upper-case latin, no spaces: ひらがな/ｶﾀｶﾅ/カタカナ all give the same key."""
    if not text:
        return ""
    full = jaconv.h2z(text, kana=True, ascii=False, digit=False)  # ｶﾞ → ガ (voiced marks joined)
    katakana = jaconv.hira2kata(full)
    ascii_ = jaconv.z2h(katakana, kana=False, ascii=True, digit=True)
    return _SPACES.sub("", ascii_).upper()


def loose_kana_key(text: str | None) -> str:
    """The kana key with small kana made large (キョウ ≈ キヨウ), for a second chance in ranking."""
    return kana_key(text).translate(_SMALL)


def name_key(text: str | None) -> str:
    """A kanji (or latin) name without spaces, IVS selectors or variant forms."""
    if not text:
        return ""
    plain = _IVS.sub("", text).translate(VARIANTS).translate(_WIDTH)
    return _SPACES.sub("", plain).upper()


def given_part(text: str | None) -> str | None:
    """What follows the first space of a name (the given name), or None for a one-part name."""
    if not text:
        return None
    parts = _SPACES.split(text.strip(), maxsplit=1)
    return parts[1] if len(parts) == 2 else None


def address_key(text: str | None, *, city_prefixes: tuple[str, ...] = ("山口県", "山口市")) -> str:
    """The address from the town (大字) onward, normalised like a name, so a fragment can use an index."""
    key = name_key(text)
    for prefix in city_prefixes:
        key = key.removeprefix(prefix)
    return key


def parse_date(text: str, *, partial: bool = False) -> tuple[date | None, str]:
    """A date as the core system or a clerk writes it (ISO, ``YYYYMMDD``, 和暦, full-width: :mod:`core.dates`)
    → (date, canonical ``YYYY-MM-DD``). With ``partial``, 00 marks an unknown month or day (不詳) and the date
    part is None. Raises :class:`core.dates.DateError` (a ValueError) with the reason otherwise."""
    if partial:
        return dates.parse_partial(text)
    day = dates.parse_date(text)
    return day, day.isoformat()


_WEIGHTS = (2, 3, 4, 5, 6, 7) * 4


def check_digit(body: str) -> int:
    """Modulus-11 check digit with weights 2–7 from the right (remainder 0 or 1 gives 0)."""
    total = sum(int(ch) * w for ch, w in zip(reversed(body), _WEIGHTS, strict=False))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def valid_check_digit(number: str) -> bool:
    """True when ``number`` is all digits and ends in the check digit of the rest."""
    return len(number) >= 2 and number.isdigit() and check_digit(number[:-1]) == int(number[-1])


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))
