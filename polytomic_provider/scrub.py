"""Remove secret values from text, in every form a server or a library can echo them in.

Why a module of its own: the provider's error messages must keep secrets out, and a secret is rarely
echoed raw. An API error body carries it JSON-escaped (``Plain\\"Quoted``), a
proxy page percent-encoded, h11 in a bytes repr (``b'Bearer pk...\\nX'``), a Python traceback in a str
repr, an HTML page entity-escaped; a message may even nest two of these (JSON inside JSON, JSON inside a
URL). Every one of those encoders works character by character, so the encoded secret appears verbatim
inside the encoded text: the scrubber computes each secret's forms under every encoder and every pair of
encoders, and replaces all of them. Base64 does not work character by character (three bytes become four
characters), but the full three-byte groups of a secret encode the same wherever the secret starts, for
each of the three alignments: those runs are forms too (an error page quoting an `Authorization: Basic`
header, a reference id that is the credential in base64), also percent-encoded. Matching ignores case: a
server that upper-cases what it echoes still echoes the secret. Only the standard library is used. (The
emulator's journal has its own, smaller set of spellings, for what clients send:
polytomic_emulator/spellings.py.)
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote_plus

__all__ = [
    "MIN_BASE64_RUN",
    "MIN_EMBEDDED_LENGTH",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "Scrubber",
    "base64_runs",
    "secret_forms",
]

REDACTED = "[secret]"
#: Shorter values are not scrubbed: replacing two or three characters everywhere would mangle any text.
MIN_SECRET_LENGTH = 4
#: A base64 run shorter than this (six bytes) is not a form: such runs occur by chance in ordinary text.
MIN_BASE64_RUN = 8
#: A secret shorter than this (the API sets no minimum for client_secret) is scrubbed only as a whole token,
#: not inside longer words: replacing "abcd" wherever it occurs would garble every message (#27 F12).
MIN_EMBEDDED_LENGTH = 8
_URL_SAFE = str.maketrans("+/", "-_")

Encoder = Callable[[str], str]


def _json(text: str) -> str:
    return json.dumps(text)[1:-1]


def _json_unicode(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _json_go(text: str) -> str:
    """Go's encoding/json (Polytomic's backend): HTML-sensitive characters become \\u003c and friends."""
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    for char in "<>&\u2028\u2029":
        escaped = escaped.replace(char, f"\\u{ord(char):04x}")
    return escaped


def _json_slashes(text: str) -> str:
    """JSON as PHP and some Java libraries write it, with ``/`` escaped."""
    return _json(text).replace("/", "\\/")


def _python_repr(quote_char: str) -> Encoder:
    """A str repr's body between `quote_char` quotes (repr picks the quote from the whole text)."""

    def encode(text: str) -> str:
        return "".join(
            f"\\{c}" if c in (quote_char, "\\") else repr(c)[1:-1] if c not in "'\"" else c for c in text
        )

    return encode


def _bytes_repr(quote_char: str) -> Encoder:
    """A bytes repr's body (h11 reports an illegal header value this way)."""

    def encode(text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        return "".join(
            f"\\{chr(b)}"
            if chr(b) in (quote_char, "\\")
            else repr(bytes([b]))[2:-1]
            if b not in b"'\""
            else chr(b)
            for b in data
        )

    return encode


def _percent(text: str) -> str:
    return quote(text, safe="")


def _percent_path(text: str) -> str:
    return quote(text)


def _form(text: str) -> str:
    return quote_plus(text, safe="")


def _html(text: str) -> str:
    return html.escape(text, quote=True)


ENCODERS: tuple[Encoder, ...] = (
    _json,
    _json_unicode,
    _json_go,
    _json_slashes,
    _python_repr("'"),
    _python_repr('"'),
    _bytes_repr("'"),
    _bytes_repr('"'),
    _percent,
    _percent_path,
    _form,
    _html,
)

_HEX_ESCAPE = re.compile(
    r"(%|\\x)([0-9A-Fa-f]{2})|(\\u)([0-9A-Fa-f]{4})|(\\U)([0-9A-Fa-f]{8})|(&#[xX])([0-9A-Fa-f]+)(?=;)"
)


def _hex_case_variants(form: str) -> set[str]:
    """The form as it is, and with upper- and with lower-case hex digits: encoders disagree on case."""

    def recase(match: re.Match[str], case: Callable[[str], str]) -> str:
        prefix, digits = (part for part in match.groups() if part is not None)
        return prefix + case(digits)

    return {
        form,
        _HEX_ESCAPE.sub(lambda m: recase(m, str.upper), form),
        _HEX_ESCAPE.sub(lambda m: recase(m, str.lower), form),
    }


def base64_runs(text: str) -> set[str]:
    """What base64 of any data holding `text` is sure to contain, whatever comes before it: for each of
    the three alignments, the encoding of the full three-byte groups of `text` (standard and URL-safe
    alphabets). The up to two bytes at either end share their characters with the neighbours, so they
    are not part of a run; runs shorter than MIN_BASE64_RUN are left out."""
    data = text.encode("utf-8", "surrogatepass")
    runs = set()
    for skipped in range(3):
        whole = data[skipped:]
        run = base64.b64encode(whole[: len(whole) - len(whole) % 3]).decode("ascii")
        if len(run) >= MIN_BASE64_RUN:
            runs |= {run, run.translate(_URL_SAFE)}
    return runs


@lru_cache(maxsize=1024)
def secret_forms(secret: str) -> frozenset[str]:
    """Every form of `secret` under one encoder or two nested ones, hex in either case at each level (an
    inner escape written in lower case, then encoded again, is still the secret), plus the base64 runs of
    the secret and of its single encodings, as they are and encoded once more (percent-encoded in a URL)."""

    def encoded(texts: set[str]) -> set[str]:
        return {
            variant for text in texts for encode in ENCODERS for variant in _hex_case_variants(encode(text))
        }

    single = encoded({secret})
    # Every byte percent-encoded, then base64 (#27 hardening finding 8): a reference id or a header echo.
    percent = "".join(f"%{b:02X}" for b in secret.encode("utf-8", "surrogatepass"))
    every_byte = {percent, percent.lower()}
    runs = {run for text in single | every_byte | {secret} for run in base64_runs(text)}
    if single == {secret}:  # nothing to escape: the common case of a key or token
        return frozenset(single | runs | encoded(runs))
    return frozenset({secret} | single | encoded(single) | runs | encoded(runs))


#: ``\\u0070`` and its upper-case spelling ``\\U0070``, and Python's eight-digit ``\\U00000070``, behind a
#: run of backslashes (escaped again, by a repr or JSON of JSON, ``\\\\u0070`` took only the last one and
#: the key passed in clear). A run is matched only from its start, possessively: linear in the text.
_JSON_UNICODE = re.compile(r"(?<!\\)\\++(?:U([0-9A-Fa-f]{8})|[uU]([0-9A-Fa-f]{4}))")
#: Whitespace, and line breaks written as JSON escapes (a wrapped or split secret inside a JSON string).
_BREAKS = re.compile(r"\s+|\\r\\n|\\n|\\r")
#: How many times the decoders are applied in turn: a secret percent-encoded twice, entities or ``\\u``
#: percent-encoded (#27 hardening finding 8).
_DECODING_ROUNDS = 3
#: A whitespace-separated token, and lines of base64 (MIME, PEM: a run broken every 76 characters). The
#: block starts only where a run starts and every quantifier is possessive, so the search is linear in the
#: text whatever the text (a backtracking form took 48 s on 64,000 "A"s, #27 hardening finding 1).
_TOKEN = re.compile(r"\S+")
_WRAPPED_BASE64 = re.compile(
    r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{8,}+(?:(?:\r?\n|\\r\\n|\\n)[A-Za-z0-9+/=_-]++)++"
)


def _unescape_json_unicode(text: str) -> str:
    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group()

    return _JSON_UNICODE.sub(char, text)


def _decoded_views(text: str) -> set[str]:
    """What `_decoded_once` gives, and what it gives of that, up to _DECODING_ROUNDS rounds."""
    views: set[str] = set()
    latest = {text}
    for _ in range(_DECODING_ROUNDS):
        latest = {view for seen in latest for view in _decoded_once(seen)} - views - {text}
        if not latest:
            break
        views |= latest
    return views


def _decoded_once(text: str) -> set[str]:
    """The text as a reader would decode it, for the encodings that are not one library's escape of
    each character (#27 F2): numeric and named HTML entities of every character, percent-encoding of
    every byte and `+` for a space (encodeURIComponent, Java's URLEncoder), ``\\u`` for every character,
    and base64 broken into lines (by line breaks or their JSON escapes). Each decoder alone and all of them in
    turn; `_decoded_views` applies this again to what it gives."""
    html_view, percent_view = html.unescape(text), unquote_plus(text)
    views = {
        html_view,
        percent_view,
        _unescape_json_unicode(text),
        unquote_plus(_unescape_json_unicode(html_view)),
        _BREAKS.sub("", text),
    }
    views.discard(text)
    return views


@lru_cache(maxsize=64)
def _pieces(secrets: frozenset[str]) -> re.Pattern[str] | None:
    """Every run of MIN_BASE64_RUN characters of the secrets, in any case."""
    pieces = {s[i : i + MIN_BASE64_RUN] for s in secrets for i in range(len(s) - MIN_BASE64_RUN + 1)}
    return re.compile("|".join(map(re.escape, sorted(pieces))), re.IGNORECASE) if pieces else None


class Scrubber:
    """Replaces every form of a fixed set of secrets; build once, apply to many strings."""

    def __init__(self, secrets: Iterable[str], *, replacement: str = REDACTED) -> None:
        kept = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        #: Length of the shortest secret scrubbed (0 if none): shorter text cannot hold or encode one.
        self.shortest = min(map(len, kept), default=0)
        forms = {form for secret in kept for form in secret_forms(secret)}
        anywhere = {form for s in kept if len(s) >= MIN_EMBEDDED_LENGTH for form in secret_forms(s)}
        #: Length of the longest form (0 if none): a window cut this far past a point holds any form there.
        self.longest = max(map(len, forms), default=0)
        # Longest first, so that a form which contains a shorter one is taken whole.
        ordered = sorted(forms, key=lambda f: (-len(f), f))
        pattern = "|".join(
            re.escape(form) if form in anywhere else rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])"
            for form in ordered
        )
        self._pattern = re.compile(pattern, re.IGNORECASE) if ordered else None
        self._replacement = replacement
        self._secrets = frozenset(kept)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        text = pattern.sub(self._replacement, text)
        # A secret that overlaps the marker could be rebuilt by it; then remove matches outright, which
        # shortens the text every round and so ends.
        while pattern.search(text):
            text = pattern.sub("", text)
        if self._decodes_to_secret(text):
            text = self._without_decoded_secrets(text)
        return text

    def shows_part(self, text: str) -> bool:
        """Whether `text`, or a decoded view of it, holds MIN_BASE64_RUN or more characters of a secret in a
        row: what a cut through a form longer than `longest` leaves (#27 hardening finding 2)."""
        pieces = _pieces(self._secrets)
        return pieces is not None and any(pieces.search(view) for view in {text} | _decoded_views(text))

    def _decodes_to_secret(self, text: str) -> bool:
        pattern = self._pattern
        return pattern is not None and any(pattern.search(view) for view in _decoded_views(text))

    def _without_decoded_secrets(self, text: str) -> str:
        """Each token, or block of base64 lines, that decodes to a secret replaced whole; if the secret
        still shows once decoded (an encoded secret with a space in it spans tokens), the whole text."""

        def replaced(match: re.Match[str]) -> str:
            return self._replacement if self._decodes_to_secret(match.group()) else match.group()

        text = _TOKEN.sub(replaced, _WRAPPED_BASE64.sub(replaced, text))
        return self._replacement if self._decodes_to_secret(text) else text
