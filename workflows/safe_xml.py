"""Parse uploaded BPMN/DMN without trusting it: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

import re

from lxml import etree

from core.errors import Invalid, TooLarge
from core.i18n import N_

_DTD_PATTERN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


def parse(content: bytes, *, file_name: str, max_bytes: int) -> etree._Element:
    """The root element, or Invalid/TooLarge saying where and why the file was refused."""
    if len(content) > max_bytes:
        raise TooLarge(N_("{file}: {size} バイトあり、上限の {limit} バイトを超えています", file=file_name,
                          size=f"{len(content):,}", limit=f"{max_bytes:,}"),
                       details={"file": file_name, "limit": max_bytes})
    probe = content.replace(b"\x00", b"")  # a UTF-16 file hides its DOCTYPE between zero bytes
    match = _DTD_PATTERN.search(probe)
    if match:
        line = probe[: match.start()].count(b"\n") + 1
        raise Invalid(N_("{file}: {line}行目: DTD・実体宣言は使えません（XXE 対策）", file=file_name, line=line),
                      details={"file": file_name, "line": line, "reason": "dtd_forbidden"})
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno or 0
        raise Invalid(N_("{file}: {line}行目: XML として読めません（{error}）",
                         file=file_name, line=line, error=err.msg),
                      details={"file": file_name, "line": line, "reason": "xml_syntax"}) from err
    if root is None:
        raise Invalid(N_("{file}: 内容が空です", file=file_name), details={"file": file_name, "reason": "xml_syntax"})
    return root
