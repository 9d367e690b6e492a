"""The journal's own secret spellings: whatever way a client escapes a secret in a request (JSON, a path,
a query, a form, one inside another, hex digits in either case), the journal never keeps it."""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from hypothesis import given
from hypothesis import strategies as st

from polytomic_emulator.spellings import SHORTEST_REDACTED, SecretSpellings
from tests.literals import python_literal

MARKER = "<redacted>"
# Each way a client writes text into a request, with its inverse (what a reader of the journal would learn).
GO_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
ESCAPES: list[tuple[Callable[[str], str], Callable[[str], str]]] = [
    (str, str),
    # Go's encoding/json (Polytomic's Terraform provider): <, > and & as \u escapes.
    (lambda t: json.dumps(t, ensure_ascii=False)[1:-1].translate(GO_JSON), lambda t: json.loads(f'"{t}"')),
    (lambda t: html.escape(t, quote=True), html.unescape),
    (lambda t: repr(t)[1:-1], lambda t: python_literal(f"'{t}'")),
    (lambda t: json.dumps(t)[1:-1], lambda t: json.loads(f'"{t}"')),
    (lambda t: json.dumps(t, ensure_ascii=False)[1:-1], lambda t: json.loads(f'"{t}"')),
    (lambda t: quote(t, safe=""), unquote),
    (lambda t: re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(t, safe="")), unquote),  # %2f
    (lambda t: quote_plus(t, safe=""), unquote_plus),
]
secrets = st.text(st.characters(exclude_categories=("Cs",)), min_size=SHORTEST_REDACTED, max_size=16)


@given(
    secret=secrets, around=st.text(max_size=8), outer=st.sampled_from(ESCAPES), inner=st.sampled_from(ESCAPES)
)
def test_a_secret_escaped_once_or_twice_never_survives(
    secret: str,
    around: str,
    outer: tuple[Callable[[str], str], Callable[[str], str]],
    inner: tuple[Callable[[str], str], Callable[[str], str]],
) -> None:
    (escape_outer, unescape_outer), (escape_inner, unescape_inner) = outer, inner
    sent = escape_outer(around + escape_inner(secret) + around)
    kept = SecretSpellings([secret], marker=MARKER)(sent)
    assert escape_inner(secret) not in kept
    # What is kept may no longer decode (a ValueError): then it cannot carry the secret either.
    with contextlib.suppress(ValueError, SyntaxError):
        assert secret not in unescape_inner(unescape_outer(kept))


def test_text_without_a_secret_and_short_values_are_left_alone() -> None:
    text = 'GET /api/organizations?name=abc {"name": "Acme"}'
    assert SecretSpellings(["partner-key-0123"], marker=MARKER)(text) == text
    assert SecretSpellings(["abc"], marker=MARKER)(text) == text


def test_a_learnt_client_secret_in_go_json_inside_a_query_is_redacted_from_the_journal() -> None:
    """The reviewer's case: Go's JSON escapes of a secret with & and <, percent-encoded into a query."""
    secret = "s3cr&t<Value>9"
    go_json = json.dumps({"client_secret": secret}).translate(GO_JSON)
    sent = quote(go_json, safe="")
    kept = SecretSpellings([secret], marker=MARKER)(f"filter={sent}")
    assert "s3cr" not in unquote(kept) and "Value" not in unquote(kept)
