"""What a BPMN/DMN file *says*, independent of how it is written: the test of "unchanged".

A model opened in the browser editor and saved again comes back with other indentation, other namespace
prefixes, attributes in another order, ``100.0`` for ``100`` and the editor's name as exporter — and the same
meaning. :func:`canonical` writes a tree so that exactly those differences disappear, so the registry deploys
no new version for a file that was only opened and saved (:func:`workflows.registry.deploy`), and the designer's
diff shows only what changed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from lxml import etree

# Who wrote the file is not what it says.
IGNORED_ATTRIBUTES = {"exporter", "exporterVersion"}
# Diagram interchange (layout): numbers are compared as numbers.
DI_NAMESPACES = {"http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
                 "http://www.omg.org/spec/DD/20100524/DI", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
                 "http://www.omg.org/spec/DMN/20180521/DC/", "http://www.omg.org/spec/DMN/20180521/DI/"}
_NUMERIC = {"x", "y", "width", "height", "size", "resolution"}
# The shapes and edges of a diagram: the editor writes them in its own order, which draws the same picture.
_UNORDERED = {"BPMNPlane", "DMNDiagram"}
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_LINE_END = re.compile(r"[ \t]*(?:\r\n|\r|\n)")
# Attributes at their schema default say nothing more than an absent one (bpmn-moddle and dmn-moddle leave them
# out when they write): BPMN 2.0 and DMN 1.3 defaults, by attribute name (no name has two defaults).
DEFAULTS = {
    "gatewayDirection": "Unspecified", "instantiate": "false", "eventGatewayType": "Exclusive",
    "mustUnderstand": "false", "isReference": "false", "textFormat": "text/plain", "isInterrupting": "true",
    "parallelMultiple": "false", "cancelActivity": "true", "waitForCompletion": "true", "isCollection": "false",
    "isUnlimited": "true", "isForCompensation": "false", "startQuantity": "1", "completionQuantity": "1",
    "triggeredByEvent": "false", "isSequential": "false", "behavior": "All", "testBefore": "false",
    "cancelRemainingInstances": "true", "expressionLanguage": "http://www.w3.org/1999/XPath",
    "typeLanguage": "http://www.w3.org/2001/XMLSchema", "messageVisibleKind": "initiating", "hitPolicy": "UNIQUE",
}


def _number(value: str) -> str:
    try:
        return repr(float(value))
    except ValueError:
        return value


def _attributes(element: Any, in_di: bool) -> list[tuple[str, str]]:
    found = []
    for name, value in element.attrib.items():
        if name in IGNORED_ATTRIBUTES or DEFAULTS.get(name) == value.strip():
            continue
        if name == _XSI_TYPE:  # a QName: the prefix is the writer's choice, the namespace is what it says
            if in_di:  # dc:Point on a waypoint: the declared type
                continue
            value = _qualified(element, value)
        if in_di and name in _NUMERIC:
            value = _number(value)
        found.append((name, _lines(value)))
    return sorted(found)


def _qualified(element: Any, value: str) -> str:
    prefix, _, local = value.rpartition(":")
    return f"{{{element.nsmap.get(prefix or None, '')}}}{local}"


def _lines(value: str) -> str:
    """Line ends as one newline (CR LF from Windows tools; a blank before a line end is not content)."""
    return _LINE_END.sub("\n", value)


def _text(text: str | None) -> str:
    return _lines((text or "").strip())


def _walk(element: Any, out: list[str], depth: int) -> None:
    qname = etree.QName(element)
    in_di = qname.namespace in DI_NAMESPACES
    out.append(f"{'  ' * depth}<{element.tag} {_attributes(element, in_di)!r}> {_text(element.text)!r}")
    children = [c for c in element if isinstance(c.tag, str)]  # comments and processing instructions say nothing
    if in_di and qname.localname in _UNORDERED:
        parts = []
        for child in children:
            part: list[str] = []
            _walk(child, part, depth + 1)
            parts.append("\n".join(part))
        out.extend(sorted(parts))
        return
    for child in children:
        _walk(child, out, depth + 1)


def canonical(root: Any) -> str:
    """The tree as text in which formatting, prefixes, attribute order and the exporter do not show."""
    out: list[str] = []
    _walk(root, out, 0)
    return "\n".join(out)


def semantic_hash(root: Any) -> str:
    """SHA-256 of :func:`canonical`: equal for two files that say the same."""
    return hashlib.sha256(canonical(root).encode("utf-8")).hexdigest()
