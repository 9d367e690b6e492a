"""Point 11 of the hostile review: deeply nested JSON in any encoding json.loads accepts (UTF-8, UTF-16,
UTF-32, either byte order, with or without a BOM) is refused as malformed, never a 500 or a
RecursionError, is journaled, and claims no Idempotency-Key for a caller that may not write."""

from __future__ import annotations

import codecs
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.jsonbody import MAX_DEPTH
from polytomic_emulator.settings import EmulatorSettings
from tests.emulator.json_bytes import ENCODING_IDS, ENCODINGS


def nested(depth: int, kind: str) -> str:
    """An organization body whose `extra` field nests `depth` arrays or objects (the body itself adds one).

    The name holds U+2200, whose UTF-16 and UTF-32 encodings contain the byte of ``"``: a depth check that
    scans bytes takes it for the end of the string and every bracket after it for string content."""
    opener, closer = ("[", "]") if kind == "array" else ('{"a":', "}")
    return '{"name": "Deep \u2200", "extra": ' + opener * depth + "1" + closer * depth + "}"


def encoded(text: str, encoding: tuple[str, bytes]) -> bytes:
    codec, bom = encoding
    return bom + text.encode(codec)


@pytest.mark.parametrize("encoding", ENCODINGS, ids=ENCODING_IDS)
def test_point_11_a_deep_body_in_any_json_encoding_is_422_and_journaled(
    client: TestClient, kit: Any, encoding: tuple[str, bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="polytomic_emulator")
    raw = encoded(nested(5000, "array"), encoding)
    headers = {**kit.partner, "Idempotency-Key": "deep-utf-key-1"}
    response = client.post(f"/api/organizations?k={kit.partner_key}", content=raw, headers=headers)
    assert response.status_code == 422 and response.json()["key"] == "invalid_body"
    entries = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    assert [e["status"] for e in entries] == [422]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert kit.partner_key not in caplog.text


def test_point_11_a_key_that_may_not_write_claims_no_idempotency_key(client: TestClient, kit: Any) -> None:
    headers = {**kit.org, "Idempotency-Key": "org-key-may-not-write"}
    raw = encoded(nested(5000, "object"), ("utf-16-le", b""))
    for _ in range(2):
        response = client.post("/api/organizations", content=raw, headers=headers)
        assert response.status_code == 403 and response.json()["key"] == "partner_key_required"
        assert "idempotent-replayed" not in response.headers  # nothing was stored, so nothing is replayed


def test_point_11_an_ordinary_utf16_body_is_still_answered(client: TestClient, kit: Any) -> None:
    raw = encoded('{"name": "Sixteen"}', ("utf-16-le", codecs.BOM_UTF16_LE))
    response = client.post("/api/organizations", content=raw, headers=kit.partner)
    assert response.status_code in (200, 422) and response.status_code != 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    encoding=st.sampled_from(ENCODINGS),
    depth=st.one_of(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3), st.integers(100, 3000)),
    kind=st.sampled_from(["array", "object"]),
    with_key=st.booleans(),
    as_partner=st.booleans(),
)
def test_point_11_property_never_a_500_never_recursion(
    encoding: tuple[str, bytes], depth: int, kind: str, with_key: bool, as_partner: bool
) -> None:
    app = create_app(EmulatorSettings(partner_key="pk-deep-property-0001", api_keys=("ak-deep-property-1",)))
    key = "pk-deep-property-0001" if as_partner else "ak-deep-property-1"
    headers = {"Authorization": f"Bearer {key}"}
    raw = encoded(nested(depth, kind), encoding)
    owner = app.state.emulator.owner_id
    with TestClient(app, raise_server_exceptions=True) as client:
        for method in ("POST", "PUT"):
            path = "/api/organizations" if method == "POST" else f"/api/organizations/{owner}"
            key_header = {"Idempotency-Key": f"deep-{method}-{depth}"} if with_key else {}
            response = client.request(method, path, content=raw, headers={**headers, **key_header})
            assert response.status_code != 500
            if not as_partner:
                assert response.status_code == 403
            elif depth + 1 > MAX_DEPTH:
                assert response.status_code == 422 and response.json()["key"] == "invalid_body"
        journal = client.get(
            "/_emulator/journal", headers={"X-Emulator-Admin-Token": "polytomic-emulator-dev-admin-token"}
        ).json()["data"]
        assert len(journal) == 2 and all(e["status"] != 500 for e in journal)
