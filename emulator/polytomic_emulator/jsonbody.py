"""Parsing request bodies as JSON without letting their nesting reach Python's recursion limit.

Why a module of its own: the journal, the idempotency fingerprint and request validation all parse the
same untrusted body. ``json.loads`` recurses once per nesting level, so a body of a thousand ``[`` raises
RecursionError (not ValueError) wherever it is parsed, and an organization body never nests at all. Each
of them therefore calls `loads`, which measures the depth first, without recursion, and refuses deep bodies
as malformed.

The depth is measured on the *text*, decoded the way ``json.loads`` itself decodes bytes
(``json.detect_encoding``: UTF-8, UTF-16 or UTF-32, either byte order, with or without a BOM). Counting
brackets in the raw bytes would miss a UTF-16 body: its ``[`` is ``[\\x00``, and a bracket byte inside
another character would be counted by mistake.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "decode", "loads", "too_deep"]

#: Far more than any organization body needs (it is one flat object), far less than the recursion limit.
MAX_DEPTH = 32
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """The body nests arrays or objects deeper than MAX_DEPTH."""


def decode(raw: bytes | str) -> str:
    """The text ``json.loads`` would parse: bytes decoded by JSON's own encoding detection.

    Raises UnicodeDecodeError (a ValueError) for bytes that are not text in the detected encoding.
    """
    if isinstance(raw, str):
        return raw
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


def too_deep(raw: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether `raw` opens more than `limit` arrays or objects at once (brackets inside strings ignored).

    Bytes that cannot be decoded are not too deep: they are not JSON at all, and every parser refuses them
    before it could recurse.
    """
    try:
        text = decode(raw)
    except ValueError:
        return False
    if text.count("[") + text.count("{") <= limit:  # the common case, decided without a scan
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth = max(depth - 1, 0)
    return False


def loads(raw: bytes | str) -> Any:
    """`json.loads`, raising TooDeep (a ValueError) instead of recursing into a deeply nested body."""
    text = decode(raw)
    if too_deep(text):
        raise TooDeep(f"JSON nested more than {MAX_DEPTH} levels deep")
    return json.loads(text)
