"""Point 13 of the hostile review: every place a client can put a known secret is redacted from the
journal: a header's name, percent-encoded base64 in a query, a UTF-16/32 body, base64 of bytes that are not
UTF-8, a JSON string (and JSON inside one), a multipart form, and any mix of upper and lower case."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.settings import EmulatorSettings
from tests.emulator.json_bytes import ENCODINGS

PARTNER_KEY = "pk-gaps-partner-8d3e51c0b9a2"
ADMIN = {"X-Emulator-Admin-Token": "admin-gaps-token-77aa01"}
AUTH = {"Authorization": f"Bearer {PARTNER_KEY}"}
#: A learnt client secret with characters that JSON, URLs and HTML all escape.
LEARNT = 'oidc"<sec&ret>/9f'


@contextmanager
def emulator() -> Iterator[TestClient]:
    """A fresh emulator that knows the partner key and has learnt LEARNT (an accepted create)."""
    settings = EmulatorSettings(partner_key=PARTNER_KEY, admin_token=ADMIN["X-Emulator-Admin-Token"])
    with TestClient(create_app(settings)) as client:
        body = {"name": "Learnt", "client_secret": LEARNT}
        assert client.post("/api/organizations", json=body, headers=AUTH).status_code == 200
        yield client


def journal_text(client: TestClient) -> str:
    """The journal as a reader sees it, with NULs dropped (a UTF-16 body misread as UTF-8 keeps the secret's
    characters, one NUL apart)."""
    entries = client.get("/_emulator/journal", headers=ADMIN).json()["data"]
    return json.dumps(entries, ensure_ascii=False).replace("\\u0000", "").replace("\x00", "")


def assert_hidden(client: TestClient, *secrets: str) -> None:
    text = journal_text(client)
    for secret in secrets:
        assert secret not in text
        assert secret.lower() not in text.lower()


def test_point_13_a_secret_in_a_header_name_is_redacted() -> None:
    with emulator() as client:
        client.get("/api/organizations", headers={**AUTH, f"X-Leak-{PARTNER_KEY}": "1"})
        assert_hidden(client, PARTNER_KEY)


def test_point_13_a_secret_in_a_json_string_and_in_json_inside_one_is_redacted() -> None:
    with emulator() as client:
        inner = json.dumps({"k": PARTNER_KEY, "s": LEARNT})
        escaped = "".join(f"\\u{ord(c):04x}" for c in PARTNER_KEY)  # JSON text inside the string: \u0070...
        notes = [f"my key is {PARTNER_KEY} ok", f"secret {LEARNT}!", inner, json.dumps({"j": inner})]
        notes += [f'{{"k": "{escaped}"}}', '{"client_secret": "json-in-json-unknown"}']
        for note in notes:
            client.post("/api/organizations", json={"name": "Noted", "note": note}, headers=AUTH)
        client.post("/api/organizations", content=f"not json {json.dumps(inner)}".encode(), headers=AUTH)
        assert_hidden(client, PARTNER_KEY, LEARNT, escaped, "json-in-json-unknown")


def test_point_13_a_multipart_form_is_redacted_by_field_name_and_value() -> None:
    with emulator() as client:
        client.post(
            "/api/organizations",
            files={"client_secret": (None, "multipart-unknown-value"), "upload": ("a.txt", PARTNER_KEY)},
            data={"note": f"key {LEARNT}"},
            headers=AUTH,
        )
        assert_hidden(client, PARTNER_KEY, LEARNT, "multipart-unknown-value")


def test_point_13_base64_of_bytes_that_are_not_utf8_is_redacted() -> None:
    with emulator() as client:
        for data in (
            ("caf\u00e9 " + PARTNER_KEY).encode("latin-1"),
            b"\xff\xfe\x00\x80" + PARTNER_KEY.encode() + b"\x81\x00\xc3",
            b"\x89PNG\r\n\x1a\n" + LEARNT.encode() + bytes(range(256)),
        ):
            token = base64.b64encode(data).decode()
            client.get(f"/api/organizations?blob={quote(token, safe='')}", headers={**AUTH, "X-Blob": token})
            client.post("/api/organizations", content=f"blob={token}".encode(), headers=AUTH)
            assert token.rstrip("=") not in journal_text(client)
        assert_hidden(client, PARTNER_KEY, LEARNT)


def test_point_13_an_upper_cased_secret_is_redacted() -> None:
    with emulator() as client:
        shouted = PARTNER_KEY.upper()
        client.get(f"/api/organizations?k={shouted}", headers={**AUTH, "X-Key": shouted})
        client.post("/api/organizations", json={"name": "Loud", "note": LEARNT.upper()}, headers=AUTH)
        assert_hidden(client, PARTNER_KEY, LEARNT)


# -- property-based: the spaces are large ------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    encoding=st.sampled_from(ENCODINGS),
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    as_json=st.booleans(),
    around=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
)
def test_point_13_property_a_body_in_any_unicode_encoding_is_redacted(
    encoding: tuple[str, bytes], secret: str, as_json: bool, around: str
) -> None:
    codec, bom = encoding
    note = around + secret
    text = json.dumps({"name": "Encoded", "note": note}) if as_json else f"{around} {secret} {around}"
    with emulator() as client:
        client.post("/api/organizations", content=bom + text.encode(codec), headers=AUTH)
        assert_hidden(client, secret)


@settings(max_examples=80, deadline=None)
@given(
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    prefix=st.binary(max_size=2),  # each of base64's three alignments
    suffix=st.binary(max_size=3),
    urlsafe=st.booleans(),
    padded=st.booleans(),
    percent=st.booleans(),
    place=st.sampled_from(["query", "header", "body"]),
)
def test_point_13_property_base64_at_every_alignment_is_redacted(
    secret: str, prefix: bytes, suffix: bytes, urlsafe: bool, padded: bool, percent: bool, place: str
) -> None:
    data = prefix + secret.encode() + suffix
    token = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    token = token if padded else token.rstrip("=")
    token = quote(token, safe="") if percent else token
    with emulator() as client:
        if place == "query":
            client.get(f"/api/organizations?t={token}", headers=AUTH)
        elif place == "header":
            client.get("/api/organizations", headers={**AUTH, "X-Token": token})
        else:
            client.post("/api/organizations", content=f"token: {token}".encode(), headers=AUTH)
        text = journal_text(client)
        assert token not in text
        assert secret not in text


@settings(max_examples=60, deadline=None)
@given(
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    flips=st.lists(st.booleans(), min_size=len(LEARNT), max_size=len(PARTNER_KEY)),
    place=st.sampled_from(["query", "header", "body", "json"]),
)
def test_point_13_property_any_case_variant_is_redacted(secret: str, flips: list[bool], place: str) -> None:
    variant = "".join(c.swapcase() if flip else c for c, flip in zip(secret, flips, strict=False))
    variant += secret[len(variant) :]
    with emulator() as client:
        if place == "query":
            client.get(f"/api/organizations?v={quote(variant, safe='')}", headers=AUTH)
        elif place == "header":
            client.get("/api/organizations", headers={**AUTH, "X-V": quote(variant, safe="")})
        elif place == "body":
            client.post("/api/organizations", content=f"v {variant} v".encode(), headers=AUTH)
        else:
            client.post("/api/organizations", json={"name": "V", "v": variant}, headers=AUTH)
        text = journal_text(client)
        assert variant not in text and quote(variant, safe="") not in text
