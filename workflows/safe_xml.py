"""Parse uploaded BPMN/DMN without trusting it: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

import re

from lxml import etree

from core.errors import Invalid, TooLarge

_DTD_PATTERN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


def parse(content: bytes, *, file_name: str, max_bytes: int) -> etree._Element:
    """The root element, or Invalid/TooLarge saying where and why the file was refused."""
    if len(content) > max_bytes:
        raise TooLarge(f"{file_name}: {len(content):,} bytes is over the limit of {max_bytes:,}",
                       details={"file": file_name, "limit": max_bytes})
    probe = content.replace(b"\x00", b"")  # a UTF-16 file hides its DOCTYPE between zero bytes
    match = _DTD_PATTERN.search(probe)
    if match:
        line = probe[: match.start()].count(b"\n") + 1
        raise Invalid(f"{file_name}: line {line}: DTDs and entity declarations are not allowed (XXE protection)",
                      details={"file": file_name, "line": line, "reason": "dtd_forbidden"})
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as err:
        line = err.lineno or 0
        raise Invalid(f"{file_name}: line {line}: XML error: {err.msg}",
                      details={"file": file_name, "line": line, "reason": "xml_syntax"}) from err
    if root is None:
        raise Invalid(f"{file_name}: empty document", details={"file": file_name, "reason": "xml_syntax"})
    return root
