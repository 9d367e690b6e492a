"""Every way a client can spell a secret inside a request, so that the journal can take each one out.

Why the emulator has its own and does not import the provider's scrubber: the emulator stands in for
Polytomic and must install and change without the provider (it is a distribution of its own), and the two
face different text. The provider cleans what servers and libraries echo back; the journal cleans what
clients send: JSON strings (as Python, PHP or Go write them), percent-encoded paths, queries and forms,
HTML-escaped forms, Python reprs, one nested in another. The duplication is deliberate and small (the
idea, not the code, is shared), and a blind spot in one is not silently inherited by the other. Tokens
that decode to a secret (base64, percent-encoding of every character) are the journal's own business
(journal.py).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache, partial
from urllib.parse import quote, quote_plus

#: Shorter values are never redacted: replacing two or three characters everywhere would garble the journal.
SHORTEST_REDACTED = 4


def _json_go(text: str) -> str:
    """JSON as Go's encoding/json writes it (Polytomic's own SDK and Terraform provider): <, >, & and the
    two line separators as \\u escapes."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    for char in "<>&\u2028\u2029":
        escaped = escaped.replace(char, f"\\u{ord(char):04x}")
    return escaped


def _repr_body(text: str) -> str:
    """A Python str repr without its quotes (a script that logs or sends a repr)."""
    return repr(text)[1:-1]


def _bytes_repr_body(text: str) -> str:
    """A Python bytes repr without b'' (h11 and httpx print header values so)."""
    return repr(text.encode("utf-8", "surrogatepass"))[2:-1]


_ESCAPES: tuple[Callable[[str], str], ...] = (
    lambda text: json.dumps(text)[1:-1],  # JSON as Python and most clients write it: \u00e9
    lambda text: json.dumps(text, ensure_ascii=False)[1:-1],  # JSON with UTF-8 left alone
    lambda text: json.dumps(text)[1:-1].replace("/", "\\/"),  # JSON with slashes escaped (PHP, Java)
    _json_go,
    partial(quote, safe=""),  # a path segment or query value, every reserved character encoded
    quote,  # a path, slashes kept
    partial(quote_plus, safe=""),  # an HTML form field
    partial(html.escape, quote=True),  # a form or page a browser or proxy sends back
    _repr_body,
    _bytes_repr_body,
)
_HEX_DIGITS = re.compile(r"(%)([0-9A-Fa-f]{2})|(\\u)([0-9A-Fa-f]{4})|(\\x)([0-9A-Fa-f]{2})")


def _both_hex_cases(spelling: str) -> tuple[str, str, str]:
    """Clients disagree on the case of hex digits in escapes: %2f and %2F are the same byte."""

    def recased(case: Callable[[str], str]) -> str:
        return _HEX_DIGITS.sub(lambda m: (m[1] or m[3] or m[5]) + case(m[2] or m[4] or m[6]), spelling)

    return spelling, recased(str.upper), recased(str.lower)


@lru_cache(maxsize=1024)
def spellings_of(secret: str) -> frozenset[str]:
    """The secret as sent, escaped once, and escaped twice (JSON inside a query, a query inside JSON), hex
    digits in either case at each level (a client may lower-case the inner escape, then escape it again)."""

    def escaped(texts: set[str]) -> set[str]:
        return {cased for text in texts for escape in _ESCAPES for cased in _both_hex_cases(escape(text))}

    once = escaped({secret})
    if once == {secret}:  # nothing to escape: a key or token of letters and digits
        return frozenset(once)
    return frozenset({secret} | once | escaped(once))


class SecretSpellings:
    """One compiled pattern for every spelling of a fixed set of secrets; build once, apply often."""

    def __init__(self, secrets: Iterable[str], *, marker: str) -> None:
        kept = {secret for secret in secrets if len(secret) >= SHORTEST_REDACTED}
        #: Length of the shortest secret (0 if none): no shorter text can hold or encode one.
        self.shortest = min(map(len, kept), default=0)
        # Longest first, so that a spelling containing a shorter one is taken whole.
        ordered = sorted({s for secret in kept for s in spellings_of(secret)}, key=lambda s: (-len(s), s))
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._marker = marker

    def __call__(self, text: str) -> str:
        """`text` with every spelling replaced by the marker; a secret the marker itself would complete
        is then cut out altogether (each round shortens the text, so this ends)."""
        if self._pattern is None or not text:
            return text
        text = self._pattern.sub(self._marker, text)
        while self._pattern.search(text):
            text = self._pattern.sub("", text)
        return text
