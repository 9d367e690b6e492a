"""Issue #27, point 13 of the hostile review, second round:

- a body holding NaN, Infinity or a lone UTF-16 surrogate (all accepted by json.loads) no longer makes
  ``GET /_emulator/journal`` answer 500: the journal always answers 200 with strict JSON;
- base64 of a secret is decoded wherever it sits in a token: after a ``/`` (a path segment), in ``.``-joined
  parts (a JWT), and wrapped at 76 columns (MIME, PEM), in any alignment.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.settings import EmulatorSettings

PARTNER_KEY = "pk-values-partner-3e8d51c0b9a2"
ADMIN = {"X-Emulator-Admin-Token": "admin-values-token-aa0177"}
AUTH = {"Authorization": f"Bearer {PARTNER_KEY}"}
LEARNT = 'oidc"<sec&ret>/9f'


@contextmanager
def emulator() -> Iterator[TestClient]:
    settings = EmulatorSettings(partner_key=PARTNER_KEY, admin_token=ADMIN["X-Emulator-Admin-Token"])
    with TestClient(create_app(settings)) as client:
        body = {"name": "Learnt", "client_secret": LEARNT}
        assert client.post("/api/organizations", json=body, headers=AUTH).status_code == 200
        yield client


def strict_journal(client: TestClient) -> list[dict[str, Any]]:
    """The journal, which must answer 200 with JSON that a strict parser accepts (no NaN, valid UTF-8)."""
    response = client.get("/_emulator/journal", headers=ADMIN)
    assert response.status_code == 200, response.text[:300]
    text = response.content.decode("utf-8")  # strict: a lone surrogate cannot be encoded

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in the journal")

    entries: list[dict[str, Any]] = json.loads(text, parse_constant=refuse)["data"]
    return entries


BODIES = {
    "NaN": b'{"name": "x", "v": NaN}',
    "Infinity": b'{"name": "x", "v": [Infinity, -Infinity]}',
    "overflowing number": b'{"name": "x", "v": 1e999}',
    "lone surrogate": b'{"name": "\\ud800 x"}',
    "lone surrogate key": b'{"\\udc00": 1, "name": "x"}',
    "utf-16 lone surrogate": '{"name": "x"} '.encode("utf-16-le") + b"\x00\xd8" + "tail".encode("utf-16-le"),
}


@pytest.mark.parametrize("raw", BODIES.values(), ids=BODIES.keys())
def test_point_13_a_body_json_cannot_serialise_leaves_the_journal_readable(raw: bytes) -> None:
    with emulator() as client:
        client.post("/api/organizations", content=raw, headers=AUTH)
        client.put("/api/organizations/not-a-uuid", content=raw, headers=AUTH)
        entries = strict_journal(client)
    assert len(entries) == 3


def test_point_13_non_finite_numbers_and_surrogates_are_kept_as_text() -> None:
    with emulator() as client:
        client.post("/api/organizations", content=BODIES["NaN"], headers=AUTH)
        client.post("/api/organizations", content=BODIES["Infinity"], headers=AUTH)
        client.post("/api/organizations", content=BODIES["lone surrogate"], headers=AUTH)
        entries = strict_journal(client)
    assert entries[1]["body"]["v"] == "NaN"
    assert entries[2]["body"]["v"] == ["Infinity", "-Infinity"]
    assert entries[3]["body"]["name"] == "\\ud800 x"


# -- base64 in every token shape ---------------------------------------------------------------------------


def journal_text(client: TestClient) -> str:
    return json.dumps(strict_journal(client), ensure_ascii=False)


def b64(data: bytes, urlsafe: bool = False) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode().rstrip("=")


@settings(max_examples=60, deadline=None)
@given(
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    before=st.sampled_from(["/", "a/", "ab/", "abc/", "x/y/", "/api/v1/"]),
    prefix=st.binary(max_size=2),
    place=st.sampled_from(["path", "query", "header", "body"]),
)
def test_point_13_property_base64_after_a_slash_is_redacted(
    secret: str, before: str, prefix: bytes, place: str
) -> None:
    token = before + b64(prefix + secret.encode())
    with emulator() as client:
        if place == "path":
            client.get(f"/api/organizations/{token}", headers=AUTH)
        elif place == "query":
            client.get(f"/api/organizations?t={token}", headers=AUTH)
        elif place == "header":
            client.get("/api/organizations", headers={**AUTH, "X-Token": token})
        else:
            client.post("/api/organizations", content=f"token {token} end".encode(), headers=AUTH)
        text = journal_text(client)
    assert token not in text
    assert b64(prefix + secret.encode()) not in text


@settings(max_examples=40, deadline=None)
@given(
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    part=st.integers(0, 2),
    prefix=st.binary(max_size=2),
    place=st.sampled_from(["query", "header", "body", "json"]),
)
def test_point_13_property_base64_in_a_dotted_token_is_redacted(
    secret: str, part: int, prefix: bytes, place: str
) -> None:
    """A JWT: header.payload.signature, base64url each; the secret may be in any of the three."""
    parts = [b64(b'{"alg":"HS256","typ":"JWT"}', True), b64(b'{"sub":"someone"}', True), b64(b"s" * 32, True)]
    parts[part] = b64(prefix + json.dumps({"secret": secret}).encode(), True)
    token = ".".join(parts)
    with emulator() as client:
        if place == "query":
            client.get(f"/api/organizations?jwt={token}", headers=AUTH)
        elif place == "header":
            client.get("/api/organizations", headers={**AUTH, "X-Jwt": token})
        elif place == "body":
            client.post("/api/organizations", content=f"jwt {token}".encode(), headers=AUTH)
        else:
            client.post("/api/organizations", json={"name": "J", "jwt": token}, headers=AUTH)
        text = journal_text(client)
    assert parts[part] not in text


@settings(max_examples=40, deadline=None)
@given(
    secret=st.sampled_from([PARTNER_KEY, LEARNT]),
    lead=st.integers(0, 80),
    newline=st.sampled_from(["\n", "\r\n"]),
    place=st.sampled_from(["body", "json", "json text"]),
)
def test_point_13_property_mime_wrapped_base64_is_redacted(
    secret: str, lead: int, newline: str, place: str
) -> None:
    data = bytes(range(lead)) + secret.encode() + b"\x00" * 40
    lines = base64.encodebytes(data).decode().splitlines()  # 76 columns, as MIME and PEM wrap it
    wrapped = newline.join(lines)
    with emulator() as client:
        if place == "body":
            body = f"Content-Transfer-Encoding: base64{newline}{newline}{wrapped}{newline}".encode()
            client.post("/api/organizations", content=body, headers=AUTH)
        elif place == "json":
            client.post("/api/organizations", json={"name": "M", "attachment": wrapped}, headers=AUTH)
        else:  # JSON text that is not valid JSON as a whole: the string's \n escapes stay escaped
            body = '{"name": "M", "attachment": ' + json.dumps(wrapped) + ", oops"
            client.post("/api/organizations", content=body.encode(), headers=AUTH)
        text = journal_text(client)
    assert secret not in text
    # Each line encodes 57 bytes; the lines that hold a byte of the secret must not be in the journal.
    first, last = lead // 57, (lead + len(secret.encode()) - 1) // 57
    assert not any(line in text for line in lines[first : last + 1])
