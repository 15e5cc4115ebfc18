"""The HTML document WeasyPrint lays out for a form: parsed by lxml, styled by the forms' own user-agent stylesheet.

Two costs of every render that change nothing on the page (measured with bench/documents.py and callgrind on the
heaviest forms, together about a fifth of a warm render):

* WeasyPrint parses HTML with tinyhtml5, a pure-Python HTML5 parser (~6 ms a form); libxml2, through lxml, builds
  the tree of our templates in a fraction of a millisecond, and WeasyPrint reads any ElementTree-like tree
  (through cssselect2). libxml2 inserts no ``<tbody>``: WeasyPrint then wraps the rows in an anonymous row group,
  laid out the same, with one element less to style per table.
* WeasyPrint's user-agent stylesheet gives every element six pseudo-element styles (``::marker``,
  ``::footnote-call`` …) and tests attribute selectors (``[hidden]``, ``[dir=…]``) on every element;
  :func:`user_agent_stylesheet` is that stylesheet, read from the installed WeasyPrint, without the selectors a
  printed form never matches (:data:`UNUSED_SELECTOR`).

``weasyprint.HTML`` takes no tree, so :class:`PrintHTML` sets the attributes ``HTML.__init__`` sets (WeasyPrint 70)
and overrides ``_ua_stylesheets``. tests/forms/test_render_speed.py checks that the PDFs of real forms, the guide
and a signed form are byte for byte those WeasyPrint makes from the same string by itself.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import cssselect2
import lxml.etree
import lxml.html
import tinycss2
import weasyprint
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

WEASYPRINT_UA_CSS = Path(weasyprint.__file__).resolve().parent / "css" / "html5_ua.css"
# Selectors of WeasyPrint's sheet that no form matches but every element would be tested against: attributes
# ([hidden], [dir=…], [type=…]), links, :is()/:not()/:has() chains, footnotes and notes, and form controls and
# media, which the forms never contain. Style the forms in base.css, never by editing this.
UNUSED_SELECTOR = re.compile(
    r"\[|:is\(|:not\(|:has\(|:link|:visited|::footnote|::note"
    r"|\b(?:input|select|textarea|button|keygen|option|optgroup|fieldset|iframe|video)\b")
_PARSER = lxml.html.HTMLParser(encoding="utf-8")  # lxml serialises a parser shared between threads


@cache
def user_agent_stylesheet() -> CSS:
    return CSS(string=trimmed_user_agent_css(WEASYPRINT_UA_CSS.read_text(encoding="utf-8")))


def trimmed_user_agent_css(source: str) -> str:
    """WeasyPrint's user-agent CSS without the selectors in :data:`UNUSED_SELECTOR`, selector by selector (a rule
    stays with the rest of its list), the universal ``::marker`` given to list items only, and without the
    ``@counter-style`` rules, which WeasyPrint reads from its own sheet whatever ours says."""
    kept = []
    for rule in tinycss2.parse_stylesheet(source, skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule":
            if rule.lower_at_keyword != "counter-style":
                kept.append(tinycss2.serialize([rule]))
        elif rule.type == "qualified-rule":
            selectors = [_for_forms(s) for s in _selector_list(rule.prelude)]
            selectors = [s for s in selectors if s and not UNUSED_SELECTOR.search(s)]
            if selectors:
                kept.append(f"{', '.join(selectors)} {{{tinycss2.serialize(rule.content)}}}")
    return "\n".join(kept) + "\n"


def _selector_list(prelude: list[object]) -> list[str]:
    """A rule's comma-separated selectors as text (commas inside :is(…) are nested and stay)."""
    parts: list[list[object]] = [[]]
    for token in prelude:
        if getattr(token, "type", None) == "literal" and getattr(token, "value", None) == ",":
            parts.append([])
        else:
            parts[-1].append(token)
    return [tinycss2.serialize(part).strip() for part in parts]


def _for_forms(selector: str) -> str:
    return "li::marker" if selector == "::marker" else selector


class PrintHTML(HTML):
    """``HTML(string=html, base_url=base_url)``, parsed by libxml2 when it reads the string as tinyhtml5 does.

    A string with a NUL character (tinyhtml5 drops it from text, libxml2 writes U+FFFD) or one that is not valid
    UTF-8 (a lone surrogate, which libxml2 drops with its whole text) is parsed by WeasyPrint itself.
    """

    def __init__(self, html: str, base_url: str) -> None:
        root = _parse(html)
        if root is None:
            super().__init__(string=html, base_url=base_url)
            return
        self.base_url = base_url  # the templates have no <base href>
        self.url_fetcher = URLFetcher()
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [user_agent_stylesheet()]


def _parse(html: str) -> lxml.etree._Element | None:
    if "\0" in html:
        return None
    try:
        return lxml.html.document_fromstring(html.encode("utf-8"), parser=_PARSER)
    except (UnicodeEncodeError, lxml.etree.ParserError):  # a lone surrogate; an empty document
        return None
