"""Issue #27, point 13 of the hostile review, second round:

- a body holding NaN, Infinity or a lone UTF-16 surrogate (all accepted by json.loads) no longer makes
  ``GET /_emulator/journal`` answer 500: the journal always answers 200 with strict JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
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
