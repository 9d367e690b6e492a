"""Parsing request bodies as JSON without letting their nesting reach Python's recursion limit.

Why a module of its own: the journal, the idempotency fingerprint and request validation all parse the
same untrusted body. ``json.loads`` recurses once per nesting level, so a body of a thousand ``[`` raises
RecursionError (not ValueError) wherever it is parsed, and an organization body never nests at all. Each
of them therefore calls `loads`, which measures the depth first, without recursion, and refuses deep bodies
as malformed.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "loads", "too_deep"]

#: Far more than any organization body needs (it is one flat object), far less than the recursion limit.
MAX_DEPTH = 32
_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """The body nests arrays or objects deeper than MAX_DEPTH."""


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether `raw` opens more than `limit` arrays or objects at once (brackets inside strings ignored)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the common case, decided without a scan
        return False
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth = max(depth - 1, 0)
    return False


def loads(raw: bytes | str) -> Any:
    """`json.loads`, raising TooDeep (a ValueError) instead of recursing into a deeply nested body."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if too_deep(data):
        raise TooDeep(f"JSON nested more than {MAX_DEPTH} levels deep")
    return json.loads(raw)
