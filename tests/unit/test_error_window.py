"""#27 F3: a non-JSON error body is scrubbed only in a bounded window before the 300-character cut.

The bounds are CPU seconds of the test process (time.process_time), which other processes cannot stretch.
"""

from __future__ import annotations

import base64
import json
import re
import time

import httpx
import pytest

from polytomic_provider.client import _error_details
from polytomic_provider.scrub import Scrubber

KEY = "pk_live_0123456789abcdef"
FORMS = (KEY, base64.b64encode(KEY.encode()).decode(), KEY.upper())


def _response(body: str) -> httpx.Response:
    request = httpx.Request("GET", "http://api.test/x")
    return httpx.Response(500, content=body.encode(), headers={"Content-Type": "text/plain"}, request=request)


class _Recording(Scrubber):
    """A scrubber that records how much text it was given."""

    def __init__(self) -> None:
        super().__init__([KEY])
        self.seen: list[int] = []

    def __call__(self, text: str) -> str:
        self.seen.append(len(text))
        return super().__call__(text)


def test_point_1_a_huge_error_body_is_scrubbed_in_a_bounded_window() -> None:
    body = ("x" * 1000 + KEY) * 4000  # ~4 MiB
    scrub = _Recording()
    started = time.process_time()
    _, message = _error_details(_response(body), scrub)
    assert time.process_time() - started < 2
    assert max(scrub.seen) <= 300 + 2 * scrub.longest
    assert len(message) <= 300 and KEY not in message


@pytest.mark.parametrize("start", range(280, 305))
@pytest.mark.parametrize("form", FORMS)
def test_point_1_a_secret_straddling_the_cut_never_shows(start: int, form: str) -> None:
    body = "y" * start + form + "z" * 10_000
    _, message = _error_details(_response(body), Scrubber([KEY]))
    for piece in (form[:8], form[-8:]):
        assert piece not in message or piece in "y" * 300


# Review #27 hardening, finding 2: a decoded-view form is longer than `Scrubber.longest` (every character
# as \u, as a zero-padded entity, spread by whitespace); one straddling the cut showed half the key.
LONG_KEY = "pk" + "Jk5VuyPy6TqjsCVftz3QAxIzcEKlhOacee0cJU3iDETSWFfQ7ty90oPEah" * 2


def _pieces_shown(message: str, key: str) -> list[str]:
    from urllib.parse import unquote_plus

    views = {message, "".join(message.split()), unquote_plus(message)}
    views.add(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), message))
    views.add(re.sub(r"&#0*(\d+);", lambda m: chr(int(m.group(1))), message))
    return [key[i : i + 8] for i in range(len(key) - 7) for view in views if key[i : i + 8] in view]


@pytest.mark.parametrize(
    "body",
    [
        "".join(f"\\u{ord(c):04x}" for c in LONG_KEY) + " " + "x" * 3000,
        "y" * 280 + "".join(f"%{ord(c):02x}" for c in LONG_KEY) + " " + "x" * 3000,
        "     ".join(LONG_KEY) + " trailing " + "x" * 3000,
        "".join(f"&#{ord(c):010d};" for c in LONG_KEY) + " " + "x" * 3000,
        "y" * 200 + "".join(f"&#{ord(c):010d};" for c in LONG_KEY) + " " + "x" * 3000,
    ],
    ids=["u-every-char", "pct-after-filler", "spread-by-spaces", "padded-entities", "entities-after-filler"],
)
def test_point_1_a_decoded_form_straddling_the_cut_shows_no_piece_of_the_key(body: str) -> None:
    _, message = _error_details(_response(body), Scrubber([LONG_KEY]))
    assert _pieces_shown(message, LONG_KEY) == []


# Review #27 hardening, finding 4: the server's charset decoded the error body (rot13, base64... raised,
# utf-16/cp037 disguised an echoed key); the body is read as UTF-8.
@pytest.mark.parametrize("charset", ["rot13", "base64", "hex", "uu", "zlib", "idna", "utf-16-le", "cp037"])
def test_point_3_the_error_body_is_read_as_utf8_whatever_charset_is_claimed(charset: str) -> None:
    request = httpx.Request("GET", "http://api.test/x")
    response = httpx.Response(
        400,
        content=f"bad key {KEY} here".encode(),
        headers={"Content-Type": f"text/plain; charset={charset}"},
        request=request,
    )
    assert _error_details(response, Scrubber([KEY])) == (None, "bad key [secret] here")


# Review #27 hardening, finding 5: a JSON error's message and key were unbounded (7.6 MiB became the
# exception's message).
def test_point_3_a_huge_json_message_and_key_are_windowed() -> None:
    request = httpx.Request("GET", "http://api.test/x")
    body = json.dumps({"message": "word " * 200_000 + KEY, "key": "k" * 100_000})
    response = httpx.Response(
        400, content=body.encode(), headers={"Content-Type": "application/json"}, request=request
    )
    key, message = _error_details(response, Scrubber([KEY]))
    assert len(message) <= 1000 and key is not None and len(key) <= 1000


def test_point_3_a_huge_reason_phrase_is_windowed() -> None:
    """The reason phrase (HTTP allows ~100 KB of it) was scrubbed and shown whole: 70 KB of text built to
    be decoded took 0.5 s and made the message as long."""
    costly = "&amp;amp;#65; %25252541 \\u005cu0041 \\u0026amp; %26amp%3B a+b &#37;2541 "
    request = httpx.Request("GET", "http://api.test/x")
    reason = (costly * 1200 + " " + KEY).encode()
    response = httpx.Response(401, request=request, extensions={"reason_phrase": reason})
    started = time.process_time()
    _, message = _error_details(response, Scrubber([KEY]))
    assert time.process_time() - started < 0.3
    assert len(message) <= 300 and KEY not in message


def test_point_3_a_huge_transport_failure_is_windowed() -> None:
    """h11 quotes an illegal status line whole (up to ~100 KB): it was scrubbed and shown whole (0.7 s, an
    87 KB message)."""
    from polytomic_provider.client import _transport_failure

    costly = "&amp;amp;#65; %25252541 \\u005cu0041 \\u0026amp; %26amp%3B a+b &#37;2541 "
    error = httpx.RemoteProtocolError(f"illegal status line: {costly * 1200} {KEY}")
    started = time.process_time()
    message = _transport_failure("GET", "/x", "http://api.test", error, Scrubber([KEY]))
    assert time.process_time() - started < 0.3
    assert len(message) < 500 and KEY not in message and "illegal status line" in message
