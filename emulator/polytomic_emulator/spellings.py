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
from dataclasses import dataclass
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


@lru_cache(maxsize=1024)
def spellings_of(secret: str) -> frozenset[str]:
    """The secret as sent, escaped once, and escaped twice (JSON inside a query, a query inside JSON).

    Hex digits of escapes (``%2f`` / ``%2F``, ``\\u00e9`` / ``\\u00E9``) need no variants of their own:
    `SecretSpellings` matches without regard to case, which covers every mix of them at every level."""

    def escaped(texts: set[str]) -> set[str]:
        return {escape(text) for text in texts for escape in _ESCAPES}

    once = escaped({secret})
    if once == {secret}:  # nothing to escape: a key or token of letters and digits
        return frozenset(once)
    return frozenset({secret} | once | escaped(once))


def fold(text: str) -> str:
    """`text` lower-cased character by character, keeping its length (``"İ".lower()`` has two characters:
    such a character is kept as it is), so that a position in the folded text is one in the original."""
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(low if len(low := char.lower()) == 1 else char for char in text)


#: Every spelling of a secret keeps its ASCII letters and digits as they are (no escape above touches
#: them), so a run of ANCHOR of them found in a text is where a spelling may be; only there is it compared.
ANCHOR = 4
_ALNUM_RUN = re.compile(rf"[A-Za-z0-9]{{{ANCHOR},}}")  # ASCII only: quote() encodes every other letter


#: How many spellings a search may compare per character of text (plus a fixed allowance per search) before
#: it gives up with TooCostly. An anchor that many secrets share, repeated all over a text, would otherwise
#: cost secrets x spellings x length; ordinary text with ordinary secrets needs well under 1 per character.
#: A caller that searches many texts for one purpose (the journal, for one entry) passes one `Budget` to all
#: of them instead, so that the work is bounded per purpose, not per text.
WORK_PER_CHARACTER = 4
WORK_PER_CALL = 100_000
#: Characters of text scanned (by a regular expression, in C) per unit of work: far cheaper than a compare.
SCANNED_PER_UNIT = 64
#: Rounds of cutting out secrets that the marker completed; each round shortens the text.
MAX_ROUNDS = 16


class TooCostly(ValueError):
    """A text would take too long to search; its reader must drop it whole rather than keep it unsearched."""


class Budget:
    """Units of work left for a search, or for every search made for one purpose; spending past it raises
    TooCostly (and keeps raising: once spent, every later search with it gives up at once)."""

    def __init__(self, units: int) -> None:
        self.left = units

    def spend(self, units: int) -> None:
        self.left -= units
        if self.left < 0:
            raise TooCostly("the work allowed for this redaction is spent")


@dataclass(frozen=True)
class _Spelled:
    """One secret's spellings (folded), and where each holds the secret's anchor (None: no anchor)."""

    anchor: str | None
    spellings: tuple[tuple[str, int], ...]


@lru_cache(maxsize=1024)
def _spelled(secret: str) -> _Spelled:
    runs = _ALNUM_RUN.findall(secret)
    anchor = fold(max(runs, key=len)[:ANCHOR]) if runs else None
    folded = {fold(spelling) for spelling in spellings_of(secret)}
    return _Spelled(anchor, tuple((s, s.find(anchor) if anchor else 0) for s in sorted(folded)))


def _trie(words: list[str]) -> str:
    """An expression matching exactly `words` (all of one length) as a trie, ``ab(?:c|d)``: ``re`` tries an
    alternation's branches one by one at every position, a trie's only along one path."""
    if len(words) == 1 or not words[0]:
        return "|".join(map(re.escape, words))
    heads: dict[str, list[str]] = {}
    for word in words:
        heads.setdefault(word[0], []).append(word[1:])
    return "|".join(f"{re.escape(head)}(?:{_trie(tails)})" for head, tails in heads.items())


class SecretSpellings:
    """Finds every spelling of a fixed set of secrets, in any case; build once, apply often.

    Every search is bounded by a `Budget`: the anchors found and the spellings compared are counted, and a
    search that would exceed it raises TooCostly; nothing is ever searched without one.

    Why not one regular expression of every spelling (as before): ``re`` tries each alternative at each
    position, so one 1 MiB body against a few hundred learnt secrets (a hundred spellings each) took 41 s,
    in one C call that holds the GIL; and compiling that expression took seconds. Instead the texts are
    searched for the secrets' anchors (a run of `ANCHOR` letters or digits of the secret, which every
    spelling keeps verbatim): one small pattern of at most one 4-character alternative per secret, found in
    time linear in the text. Spellings are compared only where an anchor is. A secret without such a run
    (all punctuation) has no anchor common to its spellings: each of its spellings is indexed by its own
    first `ANCHOR` characters, and compared only where a text holds those (found by one character class and
    a dictionary look-up, never by a search per spelling, which cost secrets x spellings x length).
    """

    def __init__(self, secrets: Iterable[str], *, marker: str) -> None:
        kept = {secret for secret in secrets if len(secret) >= SHORTEST_REDACTED}
        #: Length of the shortest secret (0 if none): no shorter text can hold or encode one.
        self.shortest = min(map(len, kept), default=0)
        self._marker = marker
        self._by_anchor: dict[str, list[tuple[str, int]]] = {}
        #: Spellings of secrets without an anchor, by their own first ANCHOR characters (folded).
        self._by_head: dict[str, list[str]] = {}
        for secret in kept:
            spelled = _spelled(secret)
            if spelled.anchor is None:
                for spelling, _ in spelled.spellings:
                    self._by_head.setdefault(spelling[:ANCHOR], []).append(spelling)
            else:
                self._by_anchor.setdefault(spelled.anchor, []).extend(spelled.spellings)
        self._anchors = re.compile(f"(?=({_trie(sorted(self._by_anchor))}))") if self._by_anchor else None
        firsts = sorted({head[0] for head in self._by_head})
        self._heads = re.compile(f"[{''.join(map(re.escape, firsts))}]") if firsts else None

    def _spans(self, text: str, budget: Budget | None = None) -> list[tuple[int, int]]:
        """Where spellings are, as (start, end), leftmost first and, from one start, longest first."""
        if budget is None:
            budget = Budget(WORK_PER_CHARACTER * len(text) + WORK_PER_CALL)
        folded = fold(text)
        spans: set[tuple[int, int]] = set()
        if self._anchors is not None:
            budget.spend(1 + len(text) // SCANNED_PER_UNIT)
            for match in self._anchors.finditer(folded):
                at = match.start()
                candidates = self._by_anchor[match.group(1)]
                budget.spend(len(candidates))
                for spelling, offset in candidates:
                    start = at - offset
                    if start >= 0 and folded.startswith(spelling, start):
                        spans.add((start, start + len(spelling)))
        if self._heads is not None:
            budget.spend(1 + len(text) // SCANNED_PER_UNIT)
            for match in self._heads.finditer(folded):
                at = match.start()
                heads = self._by_head.get(folded[at : at + ANCHOR])
                budget.spend(1 + len(heads or ()))
                for spelling in heads or ():
                    if folded.startswith(spelling, at):
                        spans.add((at, at + len(spelling)))
        return sorted(spans, key=lambda span: (span[0], -span[1]))

    def found_in(self, text: str, budget: Budget | None = None) -> bool:
        """Whether `text` holds any spelling of a secret."""
        return bool(text) and bool(self._spans(text, budget))

    def _replace(self, text: str, marker: str, budget: Budget | None) -> tuple[str, bool]:
        pieces, end, found = [], 0, False
        for start, stop in self._spans(text, budget):
            if start < end:  # inside a longer spelling already taken
                continue
            pieces += [text[end:start], marker]
            end, found = stop, True
        return "".join(pieces) + text[end:], found

    def __call__(self, text: str, budget: Budget | None = None) -> str:
        """`text` with every spelling replaced by the marker; a secret the marker itself would complete
        is then cut out altogether (each round shortens the text, so this ends)."""
        if not text or (self._anchors is None and self._heads is None):
            return text
        if budget is None:
            budget = Budget(WORK_PER_CHARACTER * len(text) + WORK_PER_CALL)
        text, found = self._replace(text, self._marker, budget)
        for _ in range(MAX_ROUNDS):
            if not found:
                return text
            text, found = self._replace(text, "", budget)
        raise TooCostly("secrets nested in the marker too many times")
