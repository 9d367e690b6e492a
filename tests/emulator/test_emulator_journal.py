"""The journal records every /api/ request and never keeps a credential or a client secret."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.journal import MAX_RECENT_SECRETS
from polytomic_emulator.launcher import EmulatorProcess
from polytomic_emulator.settings import EmulatorSettings

SECRET = "oidc-client-secret-5a1d7c9e3f"
OTHER_SECRET = "second-oidc-secret-77b1e2"


def journal(client: TestClient, kit: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    return entries


def test_one_entry_per_api_request_with_the_documented_fields(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "journal-key-1", "X-Polytomic-Version": "2024-02-08"}
    client.post(
        "/api/organizations?debug=1", json={"name": "Logged", "client_secret": SECRET}, headers=headers
    )
    client.get("/api/organizations")
    client.get("/_emulator/health")
    entries = journal(client, kit)
    assert [e["seq"] for e in entries] == [1, 2]
    first = entries[0]
    assert set(first) == {
        "seq",
        "time",
        "method",
        "path",
        "query",
        "status",
        "fault",
        "latency_ms",
        "replayed",
        "error_key",
        "duration_ms",
        "headers",
        "body",
    }
    assert first["method"] == "POST" and first["path"] == "/api/organizations" and first["query"] == "debug=1"
    assert first["status"] == 200 and first["fault"] is None and first["replayed"] is False
    assert first["time"].endswith("Z")
    assert first["headers"]["authorization"] == "Bearer <redacted>"
    assert first["headers"]["idempotency-key"] == "journal-key-1"
    assert first["headers"]["x-polytomic-version"] == "2024-02-08"
    assert "user-agent" in first["headers"]
    assert first["body"] == {"name": "Logged", "client_secret": "<redacted>"}
    assert entries[1]["status"] == 401 and entries[1]["error_key"] == "unauthorized"


def test_null_client_secret_stays_null(client: TestClient, kit: Any) -> None:
    client.post("/api/organizations", json={"name": "No secret", "client_secret": None}, headers=kit.partner)
    assert journal(client, kit)[-1]["body"] == {"name": "No secret", "client_secret": None}


def test_replays_are_marked(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "journal-replay"}
    client.post("/api/organizations", json={"name": "Twice"}, headers=headers)
    client.post("/api/organizations", json={"name": "Twice"}, headers=headers)
    assert [e["replayed"] for e in journal(client, kit)] == [False, True]


def test_clear_and_since(client: TestClient, kit: Any) -> None:
    for _ in range(3):
        client.get("/api/organization", headers=kit.partner)
    assert [e["seq"] for e in client.get("/_emulator/journal?since=2", headers=kit.admin).json()["data"]] == [
        3
    ]
    assert client.delete("/_emulator/journal", headers=kit.admin).status_code == 204
    assert journal(client, kit) == []
    client.get("/api/organization", headers=kit.partner)
    assert [e["seq"] for e in journal(client, kit)] == [4]


def test_no_secret_is_ever_stored(client: TestClient, kit: Any) -> None:
    # Make both secrets known to the emulator through ordinary requests first.
    created = kit.create(client, "Secretive", client_id="visible-client-id", client_secret=SECRET)
    path = f"/api/organizations/{created['id']}"
    client.put(path, json={"name": "Secretive", "client_secret": OTHER_SECRET}, headers=kit.partner)
    # Then try to smuggle them (and the credentials) into every part of a request.
    client.post(
        f"/api/organizations?token={kit.partner_key}&s={SECRET}",
        content=f'name=x&client_secret={SECRET}&also={OTHER_SECRET} "client_secret": "{SECRET}'.encode(),
        headers={**kit.partner, "X-Debug": f"{kit.api_key} {kit.admin_token}", "Cookie": "session=abc"},
    )
    client.post(
        "/api/organizations",
        json={
            "name": f"named {SECRET}",
            "nested": {"client_secret": "nested-secret-value", "k": kit.api_key},
        },
        headers={**kit.org, "X-Emulator-Admin-Token": kit.admin_token},
    )
    client.get(f"/api/organizations/{kit.partner_key}", headers={"Authorization": f"Basic {kit.partner_key}"})
    text = json.dumps(journal(client, kit))
    for secret in (
        SECRET,
        OTHER_SECRET,
        "nested-secret-value",
        kit.partner_key,
        kit.api_key,
        kit.admin_token,
    ):
        assert secret not in text
    assert "visible-client-id" in text  # client_id is not a secret
    assert text.count("<redacted>") >= 10


def test_secrets_stored_before_a_restart_are_still_redacted(tmp_path: Any, kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key, db_path=tmp_path / "j.db") as process:
        auth = {"Authorization": f"Bearer {kit.partner_key}"}
        body = {"name": "Persisted secret", "client_secret": SECRET}
        assert httpx.post(f"{process.url}/api/organizations", json=body, headers=auth).status_code == 200
        process.restart()
        httpx.post(f"{process.url}/api/organizations", content=f"garbage {SECRET}".encode(), headers=auth)
        text = json.dumps(process.admin.journal())
        assert SECRET not in text and "garbage <redacted>" in text


def test_live_journal_is_redacted(live: EmulatorProcess, http: httpx.Client) -> None:
    http.post("/api/organizations", json={"name": "Live", "client_secret": SECRET})
    entries = live.admin.journal()
    assert len(entries) == 1 and entries[0]["body"]["client_secret"] == "<redacted>"
    assert SECRET not in json.dumps(entries) and live.partner_key not in json.dumps(entries)


# -- hostile requests (issue 15, findings 8, 9 and 12) ------------------------------------------------------


def test_unauthenticated_requests_are_kept_without_their_body(client: TestClient, kit: Any) -> None:
    megabyte = b"x" * (1024 * 1024 - 1)
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": f"Basic {kit.partner_key}"}):
        for _ in range(10):
            assert client.post("/api/organizations", content=megabyte, headers=headers).status_code == 401
    entries = journal(client, kit)
    assert len(entries) == 30 and all(e["status"] == 401 and e["body"] is None for e in entries)
    assert len(json.dumps(entries)) < 30 * 1024


def test_the_journal_is_bounded_by_bytes_keeping_the_newest(kit: Any) -> None:
    settings = EmulatorSettings(
        partner_key=kit.partner_key, admin_token=kit.admin_token, journal_max_bytes=25_600
    )
    # Entries of 10 kB: the journal scans each for secrets in every encoding, 3 µs a byte.
    with TestClient(create_app(settings)) as client:
        for n in range(20):
            body = {"name": f"Padded {n}", "padding": "p" * 10_000}  # unknown fields are ignored
            assert client.post("/api/organizations", json=body, headers=kit.partner).status_code == 200
        entries = journal(client, kit)
    assert entries[-1]["seq"] == 20 and entries[-1]["body"]["name"] == "Padded 19"
    assert 1 <= len(entries) < 20 and len(json.dumps(entries)) <= 25_600


def test_values_from_rejected_requests_are_never_learnt(client: TestClient, kit: Any) -> None:
    poison = {"name": "", "client_secret": "organizations"}
    client.post("/api/organizations", json=poison)  # 401: no key
    client.post("/api/organizations", json=poison, headers=kit.partner)  # 422: blank name
    client.post("/api/organizations", json={**poison, "name": "ok"}, headers=kit.org)  # 403: not a partner
    client.get("/api/organizations", headers=kit.partner)
    assert [e["path"] for e in journal(client, kit)][-1] == "/api/organizations"


def test_learnt_values_are_forgotten_on_reset(client: TestClient, kit: Any) -> None:
    kit.create(
        client, "Odd secret", client_id="c", client_secret="organizations", issuer="https://i.example.com"
    )
    client.get("/api/organizations", headers=kit.partner)
    assert journal(client, kit)[-1]["path"] == "/api/<redacted>"  # a live secret is redacted everywhere
    assert client.post("/_emulator/reset", headers=kit.admin).status_code == 204
    client.get("/api/organizations", headers=kit.partner)
    assert journal(client, kit)[-1]["path"] == "/api/organizations"


def test_at_most_a_bounded_number_of_values_is_learnt_the_newest_kept(client: TestClient, kit: Any) -> None:
    # One organization whose secret is replaced again and again: the store holds only the last, and the
    # journal keeps a bounded number of the replaced ones (stored secrets are never evicted: point 9).
    rotating = kit.create(client, "Rotating")
    secrets = [f"learnt-secret-{n:04d}" for n in range(MAX_RECENT_SECRETS + 1)]
    for secret in secrets:
        client.put(
            f"/api/organizations/{rotating['id']}",
            json={"name": "Rotating", "client_secret": secret},
            headers=kit.partner,
        )
    client.get(f"/api/organizations?newest={secrets[-1]}&oldest={secrets[0]}", headers=kit.partner)
    last = journal(client, kit)[-1]
    assert last["query"] == f"newest=<redacted>&oldest={secrets[0]}"  # the oldest was evicted
    assert all(e["body"]["client_secret"] == "<redacted>" for e in journal(client, kit)[1:-1])  # by field


def test_encoded_and_respelled_secrets_are_redacted(client: TestClient, kit: Any) -> None:
    kit.create(client, "Known secret", client_id="c", client_secret=SECRET, issuer="https://i.example.com")
    every_char_encoded = "".join(f"%{b:02X}" for b in kit.partner_key.encode())
    basic = base64.b64encode(f"{kit.partner_key}:".encode()).decode()
    client.get(
        f"/api/organizations?token={every_char_encoded}&auth={basic}",
        headers={**kit.partner, "X-Forwarded-Authorization": f"Basic {basic}"},
    )
    escaped_name = "".join(f"\\u{ord(c):04x}" for c in "client_secret")
    escaped_value = "".join(f"\\u{ord(c):04x}" for c in SECRET)
    client.post(
        "/api/organizations",
        content=f'{{"{escaped_name}": "unknown-escaped-value", "name": "{escaped_value}", '.encode(),
        headers=kit.partner,
    )
    client.post(
        "/api/organizations",
        json={"name": "Spelled", "Client_Secret": "spelled-one", "clientSecret": "spelled-two"},
        headers=kit.partner,
    )
    client.post("/api/organizations", content=b"name=x&Client-Secret=form-value", headers=kit.partner)
    text = json.dumps(journal(client, kit))
    for leaked in (kit.partner_key, every_char_encoded, basic, "unknown-escaped-value", escaped_value):
        assert leaked not in text
    for leaked in ("spelled-one", "spelled-two", "form-value", SECRET):
        assert leaked not in text
