"""The scrubber: a secret never survives, whatever encoding a server or a library echoes it in."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polytomic_provider.scrub import MIN_EMBEDDED_LENGTH, REDACTED, Scrubber
from tests.literals import python_literal
from tests.support import base64_readable


@dataclass(frozen=True)
class Encoding:
    """A way text gets echoed, with its inverse (to check what a reader of the echo would learn)."""

    name: str
    encode: Callable[[str], str]
    decode: Callable[[str], str]


ENCODINGS = [
    Encoding("raw", str, str),
    Encoding("json", json.dumps, json.loads),
    Encoding("json-unicode", lambda t: json.dumps(t, ensure_ascii=False), json.loads),
    Encoding("repr", repr, python_literal),  # repr picks its quote from the whole text
    Encoding("bytes-repr", lambda t: repr(t.encode()), lambda t: bytes(python_literal(t)).decode()),
    Encoding("percent", lambda t: quote(t, safe=""), unquote),
    Encoding("percent-path", quote, unquote),
    Encoding("form", lambda t: quote_plus(t, safe=""), unquote_plus),
    Encoding("html", html.escape, html.unescape),
]
ENCODING_PAIRS = [(first, second) for first in ENCODINGS for second in ENCODINGS]

secrets = st.text(st.characters(exclude_categories=("Cs",)), min_size=MIN_EMBEDDED_LENGTH, max_size=24)
surroundings = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)


def decoded_or_none(encoding: tuple[Encoding, Encoding], text: str) -> str | None:
    first, second = encoding
    try:
        return first.decode(second.decode(text))
    except (ValueError, SyntaxError, UnicodeDecodeError, TypeError):
        return None


@settings(max_examples=400, deadline=None)
@given(secret=secrets, before=surroundings, after=surroundings, pair=st.sampled_from(ENCODING_PAIRS))
def test_a_secret_in_any_encoding_of_any_text_never_survives(
    secret: str, before: str, after: str, pair: tuple[Encoding, Encoding]
) -> None:
    first, second = pair
    echoed = second.encode(first.encode(before + secret + after))
    scrubbed = Scrubber([secret])(echoed)
    assert second.encode(first.encode(secret)) not in scrubbed
    assert secret not in scrubbed
    readable = decoded_or_none(pair, scrubbed)
    if readable is not None:  # what a person decoding the echo would see
        assert secret not in readable


@settings(max_examples=200, deadline=None)
@given(text=surroundings)
def test_text_without_the_secret_is_left_alone(text: str) -> None:
    secret = "pk-live-9c2f7d41e0b8"
    if secret not in text:
        assert Scrubber([secret])(text) == text


def test_the_json_escaped_form_an_api_echoes_is_scrubbed() -> None:
    secret = 'Plain"Quoted\\Secret'
    body = json.dumps({"client_secret": secret})  # what we sent
    message = f"invalid organization: {body}"  # what a careless API echoes, after our JSON parse
    scrubbed = Scrubber((secret,))(message)
    assert "Plain" not in scrubbed and REDACTED in scrubbed
    # The same message nested once more (an error body quoted inside another JSON string).
    assert "Plain" not in Scrubber((secret,))(json.dumps(message))


def test_the_bytes_repr_h11_prints_for_an_illegal_header_is_scrubbed() -> None:
    key = "pk-test-0123456789abcdef\nX"
    message = f"Illegal header value {(b'Bearer ' + key.encode())!r}"
    assert "0123456789abcdef" in message
    assert "0123456789abcdef" not in Scrubber((key,))(message)


def test_short_values_are_not_scrubbed() -> None:
    assert Scrubber(("abc",))("abc appears here") == "abc appears here"


def test_a_secret_that_overlaps_the_marker_is_still_removed() -> None:
    secret = "[secret]"  # replacing it with the marker would rebuild it
    assert secret not in Scrubber([secret])("x[secret]y")
    assert secret not in Scrubber([secret])(f"x{secret}y")


def test_an_inner_escape_in_lower_case_encoded_again_is_scrubbed() -> None:
    """`%3a` (a client's lower-case escape of `:`) percent-encoded again is `%253a`: still the secret."""
    once = quote("key:with/colon", safe="").lower()  # the secret itself is lower case already
    assert once == "key%3awith%2fcolon"
    assert Scrubber(["key:with/colon"])(f"ref={quote(once, safe='')}") == f"ref={REDACTED}"


# -- #27 point 1: base64 echoes ---------------------------------------------------------------------------

BASE64_ENCODINGS: dict[str, Callable[[bytes], str]] = {
    "base64": lambda data: base64.b64encode(data).decode(),
    "base64url": lambda data: base64.urlsafe_b64encode(data).decode(),
    "base64 unpadded": lambda data: base64.b64encode(data).decode().rstrip("="),
    "base64 percent-encoded": lambda data: quote(base64.b64encode(data).decode(), safe=""),
    "base64url percent-encoded": lambda data: quote(base64.urlsafe_b64encode(data).decode(), safe=""),
}
key_like = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=40)
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    secret=key_like,
    before=printable,
    after=printable,
    encoding=st.sampled_from(sorted(BASE64_ENCODINGS)),
)
def test_point_1_a_credential_echoed_in_base64_at_any_alignment_never_survives(
    secret: str, before: str, after: str, encoding: str
) -> None:
    """A 401 page quoting `ref <base64 of "Bearer <key>">`, or a Basic credential, in any alignment,
    alphabet, padding, percent-encoded or not: decoding the scrubbed text does not give the secret back."""
    echoed = BASE64_ENCODINGS[encoding]((before + secret + after).encode())
    assert secret.encode() in base64_readable(f"ref {echoed} end")  # the reader's decoding works
    scrubbed = Scrubber([secret])(f"ref {echoed} end")
    assert secret.encode() not in base64_readable(scrubbed)


@settings(max_examples=200, deadline=None)
@given(secret=key_like, before=printable, after=printable, cased=st.sampled_from([str.upper, str.lower]))
def test_point_1_a_secret_echoed_in_another_case_never_survives(
    secret: str, before: str, after: str, cased: Callable[[str], str]
) -> None:
    scrubbed = Scrubber([secret])(before + cased(secret) + after)
    assert cased(secret) not in scrubbed and secret.lower() not in scrubbed.lower()


def test_point_1_the_bearer_header_in_base64_is_scrubbed() -> None:
    key = "pk-test-0123456789abcdef"
    echoed = "ref " + base64.b64encode(f"Bearer {key}".encode()).decode()
    scrubbed = Scrubber([key])(echoed)
    assert REDACTED in scrubbed
    assert key.encode() not in base64_readable(scrubbed)
    assert b"0123456789" not in base64_readable(scrubbed)


@given(
    secret=st.from_regex(r"[a-z0-9]{4,7}", fullmatch=True),
    left=st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
    right=st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
)
def test_point_1_a_short_secret_is_scrubbed_only_as_a_whole_token(secret: str, left: str, right: str) -> None:
    """#27 F12: the API sets no minimum length for client_secret, so a short one (under 8 characters) is
    scrubbed where it stands alone, not inside longer words it would garble."""
    scrub = Scrubber([secret])
    text = f'{left}{secret}{right} {{"client_secret":"{secret}"}} {secret}.'
    scrubbed = scrub(text)
    assert scrubbed.startswith(f"{left}{secret}{right} ")
    assert f'"client_secret":"{REDACTED}"' in scrubbed and scrubbed.endswith(f" {REDACTED}.")


def test_point_1_a_long_secret_is_still_scrubbed_inside_words() -> None:
    assert Scrubber(["pk-live-0123456789"])("xpk-live-0123456789y") == f"x{REDACTED}y"


# Review finding F2: encodings that are not character-by-character escapes of one library, or that break
# a base64 run into lines. Each takes the whole secret; the scrubber finds it in a decoded view of the text.
def _every_byte_percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode("utf-8"))


def _every_char_json_unicode(text: str) -> str:
    """.NET's and some JSON writers' ``\\uXXXX`` for every character."""
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(text))


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _every_char_numeric_entity(text: str) -> str:
    return "".join(f"&#{ord(c)};" for c in text)


def _go_html_escape(text: str) -> str:
    """Go's html.EscapeString and html/template: ' " + as numeric entities."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("'", "&#39;").replace('"', "&#34;").replace("+", "&#43;")


def _php_htmlspecialchars(text: str) -> str:
    return html.escape(text, quote=False).replace("'", "&#039;").replace('"', "&quot;")


def _mime_base64(text: str) -> str:
    """MIME base64: lines of 76 characters (Python's encodebytes, Java's MIME encoder)."""
    return base64.encodebytes(text.encode("utf-8")).decode("ascii")


F2_ENCODINGS: dict[str, Callable[[str], str]] = {
    "go-html-escape": _go_html_escape,
    "php-htmlspecialchars": _php_htmlspecialchars,
    "every-char-numeric-entity": _every_char_numeric_entity,
    "js-encodeURIComponent": lambda text: quote(text, safe="-_.!~*'()"),
    "java-URLEncoder": lambda text: quote_plus(text, safe="-_.*"),
    "every-byte-percent": _every_byte_percent,
    "every-char-json-unicode": _every_char_json_unicode,
    "mime-base64": _mime_base64,
}


@settings(max_examples=60, deadline=None)
@given(
    secret=key_like,
    prefix=st.sampled_from(["", "error: ", "ref=", "<p>", "token "]),
    encoding=st.sampled_from(sorted(F2_ENCODINGS)),
)
def test_point_1_a_secret_in_any_other_encoding_never_survives(
    secret: str, prefix: str, encoding: str
) -> None:
    message = f"{prefix}{F2_ENCODINGS[encoding]('Bearer ' + secret + ' ')}end of message"
    scrubbed = Scrubber([secret])(message)
    for view in _decoded_views(scrubbed):
        assert secret.lower() not in view.lower(), (encoding, message, scrubbed)


def _decoded_views(text: str) -> list[str]:
    """What a reader could decode the scrubbed text into."""
    views = [text, html.unescape(text), unquote(text), unquote_plus(text)]
    views.append(
        json.loads('"' + text.replace('"', '\\"').replace("\n", "\\n") + '"') if "\\u" in text else text
    )
    joined = "".join(text.split())
    for start in range(len(joined)):
        run = joined[start:]
        with contextlib.suppress(ValueError):
            views.append(base64.b64decode(run[: len(run) - len(run) % 4], validate=False).decode("latin-1"))
    return views


def _unescape_json_unicode(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def test_point_1_text_around_a_decoded_secret_is_kept_where_the_secret_is_a_token() -> None:
    secret = "pk-test-0123456789abcdef"
    message = f"request failed: token={_every_byte_percent(secret)} at step 3"
    assert Scrubber([secret])(message) == f"request failed: {REDACTED} at step 3"


# Review #27 hardening, finding 1: the wrapped-base64 search backtracked quadratically on a long run of
# base64 characters; a 1 MiB worst case must scrub in linear time, and wrapped base64 is still redacted.
def test_point_1_a_long_base64_run_is_scrubbed_in_linear_time() -> None:
    import time

    secret = "pk-test-0123456789abcdef"
    message = _every_byte_percent(secret) + " " + "A" * 2**20
    started = time.process_time()
    scrubbed = Scrubber([secret])(message)
    assert time.process_time() - started < 5.0  # a generous bound: linear time takes well under a second
    assert secret not in scrubbed and "%70%6B" not in scrubbed


def test_point_1_wrapped_base64_is_still_redacted_after_the_linear_rewrite() -> None:
    secret = "pk-test-0123456789abcdef"
    wrapped = base64.encodebytes(b"Basic " + secret.encode() * 3).decode("ascii")
    scrubbed = Scrubber([secret])(f"header was:\n{wrapped}end")
    assert secret.encode() in base64_readable("".join(wrapped.split()))
    assert secret.encode() not in base64_readable("".join(scrubbed.split()))


# Review #27 hardening, finding 8: every-char ``\U``, JSON-escaped line breaks inside wrapped base64 or a
# split secret, and nested every-char encodings.
def _split(text: str, width: int, separator: str) -> str:
    return separator.join(text[i : i + width] for i in range(0, len(text), width))


FINDING_8: dict[str, Callable[[str], str]] = {
    "every-char-U-upper": lambda s: _every_char_json_unicode(s).upper(),
    "split-json-newlines": lambda s: _split(s, 5, "\\n"),
    "split-json-crlf": lambda s: _split(s, 5, "\\r\\n"),
    "base64-wrapped-json-newlines": lambda s: _split(
        base64.b64encode(b"xx" + s.encode()).decode(), 10, "\\n"
    ),
    "double-percent": lambda s: quote(_every_byte_percent(s), safe=""),
    "percent-of-entities": lambda s: quote("".join(f"&#x{ord(c):x};" for c in s), safe=""),
    "percent-of-json-unicode": lambda s: quote(_every_char_json_unicode(s), safe=""),
    "base64-of-percent": lambda s: base64.b64encode(_every_byte_percent(s).encode()).decode(),
    "base64-of-percent-lower": lambda s: base64.b64encode(_every_byte_percent(s).lower().encode()).decode(),
}


@pytest.mark.parametrize("encoding", sorted(FINDING_8))
@pytest.mark.parametrize(
    "secret", ["pk_Live-9aZ/xY+q=Tok3n7RstUvw", "pkABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd"]
)
def test_point_1_nested_and_line_broken_encodings_never_survive(encoding: str, secret: str) -> None:
    encoded = FINDING_8[encoding](secret)
    scrubbed = Scrubber([secret])(f"error: got {encoded} from you")
    assert REDACTED in scrubbed, scrubbed
    middle = len(encoded) // 3
    assert encoded[middle : middle + 12] not in scrubbed, scrubbed


@settings(max_examples=60, deadline=None)
@given(secret=key_like, backslashes=st.integers(min_value=2, max_value=4), upper=st.booleans())
def test_point_1_every_character_escaped_behind_doubled_backslashes_never_survives(
    secret: str, backslashes: int, upper: bool
) -> None:
    """Every character as ``\\uXXXX`` and then escaped once more (a repr of the server's text, JSON of
    JSON) shows ``\\\\u0070``: the decoder took only the last backslash and the key passed in clear, e.g. in
    RoleNotFound's repr of a role name."""
    escape = "\\" * backslashes + ("U" if upper else "u")
    spelled = "".join(f"{escape}{ord(char):04x}" for char in secret)
    scrubbed = Scrubber([secret])(f"roles: ['Admin {spelled}'] end")
    assert spelled not in scrubbed
    decoded = re.sub(r"\\+[uU]([0-9a-fA-F]{4})", lambda m: chr(int(m[1], 16)), scrubbed)
    assert secret.lower() not in decoded.lower()


def test_point_1_a_backslash_run_is_scrubbed_in_linear_time() -> None:
    import time

    scrubber = Scrubber(["pk_live_0123456789abcdef"])
    began = time.process_time()
    scrubber("\\" * 1_000_000 + "x")
    assert time.process_time() - began < 2
