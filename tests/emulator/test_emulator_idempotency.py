"""Idempotency-Key: replay of the first outcome, scoping, expiry, key validation, in-flight conflicts."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_emulator.store import Claimed, InFlight, Store, StoredOutcome


def names(client: TestClient, kit: Any) -> list[str]:
    return [org["name"] for org in client.get("/api/organizations", headers=kit.partner).json()["data"]]


def test_same_key_replays_the_create(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "create-acme-0001"}
    first = client.post("/api/organizations", json={"name": "Acme"}, headers=headers)
    second = client.post("/api/organizations", json={"name": "Acme"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert names(client, kit).count("Acme") == 1


def test_body_key_order_does_not_matter(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "order-insensitive"}
    first = client.post("/api/organizations", content=b'{"name":"O","sso_domain":"o.test"}', headers=headers)
    second = client.post(
        "/api/organizations", content=b'{ "sso_domain": "o.test", "name": "O" }', headers=headers
    )
    assert second.status_code == 200 and second.json() == first.json()


def test_errors_are_replayed_too(client: TestClient, kit: Any) -> None:
    kit.create(client, "Taken")
    headers = {**kit.partner, "Idempotency-Key": "conflicting-create"}
    first = client.post("/api/organizations", json={"name": "Taken"}, headers=headers)
    assert first.status_code == 409
    other = client.get("/api/organizations", headers=kit.partner).json()["data"][-1]
    assert client.delete(f"/api/organizations/{other['id']}", headers=kit.partner).status_code == 204
    # The name is free now, but the key still answers with its first outcome.
    replay = client.post("/api/organizations", json={"name": "Taken"}, headers=headers)
    assert replay.status_code == 409 and replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"


def test_forbidden_outcome_is_stored_per_credential(client: TestClient, kit: Any) -> None:
    key = "shared-key-between-credentials"
    as_org = client.post(
        "/api/organizations", json={"name": "Scoped"}, headers={**kit.org, "Idempotency-Key": key}
    )
    assert as_org.status_code == 403
    as_partner = client.post(
        "/api/organizations", json={"name": "Scoped"}, headers={**kit.partner, "Idempotency-Key": key}
    )
    assert as_partner.status_code == 200
    assert "idempotent-replayed" not in as_partner.headers


def test_put_and_delete_are_idempotent(client: TestClient, kit: Any) -> None:
    created = kit.create(client, "Before")
    path = f"/api/organizations/{created['id']}"
    put_headers = {**kit.partner, "Idempotency-Key": "rename-before-1"}
    first = client.put(path, json={"name": "After"}, headers=put_headers)
    assert client.put(path, json={"name": "After"}, headers=put_headers).json() == first.json()
    delete_headers = {**kit.partner, "Idempotency-Key": "delete-after-1"}
    assert client.delete(path, headers=delete_headers).status_code == 204
    replay = client.delete(path, headers=delete_headers)
    assert replay.status_code == 204 and replay.headers["idempotent-replayed"] == "true"
    assert client.delete(path, headers=kit.partner).status_code == 404


def test_reusing_a_key_for_another_request_is_422(client: TestClient, kit: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "reused-key-123"}
    assert client.post("/api/organizations", json={"name": "One"}, headers=headers).status_code == 200
    response = client.post("/api/organizations", json={"name": "Two"}, headers=headers)
    assert response.status_code == 422 and response.json()["key"] == "idempotency_key_reused"
    assert "Two" not in names(client, kit)


@pytest.mark.parametrize(
    "key", [b"", b"short", b"x" * 256, b"has space key", b"semi;colon1", "\u00fcml-key".encode()]
)
def test_malformed_keys_are_422(client: TestClient, kit: Any, key: bytes) -> None:
    response = client.post(
        "/api/organizations", json={"name": "K"}, headers={**kit.partner, "Idempotency-Key": key}
    )
    assert response.status_code == 422 and response.json()["key"] == "invalid_idempotency_key"
    assert "K" not in names(client, kit)


@pytest.mark.parametrize("key", ["abcdefgh", "A" * 255, "uuid_3b7e90c4-d1f2-4a5e-9c0d-5f1e2a3b4c6d"])
def test_boundary_keys_are_accepted(client: TestClient, kit: Any, key: str) -> None:
    response = client.post(
        "/api/organizations", json={"name": key}, headers={**kit.partner, "Idempotency-Key": key}
    )
    assert response.status_code == 200


def test_get_ignores_the_header(client: TestClient, kit: Any) -> None:
    response = client.get("/api/organizations", headers={**kit.partner, "Idempotency-Key": "bad"})
    assert response.status_code == 200


def test_records_expire_after_24_hours(client: TestClient, kit: Any, clock: Any) -> None:
    headers = {**kit.partner, "Idempotency-Key": "expiring-key-1"}
    first = client.post("/api/organizations", json={"name": "Expiring"}, headers=headers)
    clock.advance(24 * 3600 - 1)
    assert (
        client.post("/api/organizations", json={"name": "Expiring"}, headers=headers).json() == first.json()
    )
    clock.advance(2)
    fresh = client.post("/api/organizations", json={"name": "Expiring"}, headers=headers)
    assert fresh.status_code == 409  # handled again: the name is taken by the first create
    assert "idempotent-replayed" not in fresh.headers


def test_concurrent_request_with_same_key_is_409_in_use(live: EmulatorProcess, http: httpx.Client) -> None:
    # The latency is owed after the key is claimed, so the first request holds the key for 2 s: the second,
    # sent 0.2 s later, finds it held unless a busy machine delays one of them by 1.8 s (600 ms left 0.4 s).
    live.admin.set_faults(latency_ms=2000, methods=["POST"])
    headers = {**http.headers, "Idempotency-Key": "in-flight-key-1"}
    results: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=live.url, headers=headers, timeout=10) as client:
            results.append(client.post("/api/organizations", json={"name": "Slow"}))

    threads = [threading.Thread(target=send) for _ in range(2)]
    threads[0].start()
    time.sleep(0.2)
    threads[1].start()
    for thread in threads:
        thread.join()
    winner, loser = sorted(results, key=lambda response: response.status_code)
    assert winner.status_code == 200
    assert loser.status_code == 409 and loser.json()["key"] == "idempotency_key_in_use"
    live.admin.clear_faults()
    replay = http.post(
        "/api/organizations", json={"name": "Slow"}, headers={"Idempotency-Key": "in-flight-key-1"}
    )
    assert replay.status_code == 200 and replay.json() == winner.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert [o["name"] for o in live.admin.organizations()].count("Slow") == 1


def test_records_survive_a_restart(tmp_path: Any, kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key, db_path=tmp_path / "emu.db") as process:
        headers = {"Authorization": f"Bearer {kit.partner_key}", "Idempotency-Key": "survives-restart"}
        first = httpx.post(f"{process.url}/api/organizations", json={"name": "Durable"}, headers=headers)
        process.restart()
        second = httpx.post(f"{process.url}/api/organizations", json={"name": "Durable"}, headers=headers)
        assert second.status_code == 200 and second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"


# -- two emulators on one database (issue 15, finding 11) ---------------------------------------------------


def store_on(path: Any, owner: str | None = None) -> Store:
    return Store(path, clock=time.time, owner=owner)


def test_a_second_emulator_starting_keeps_the_first_ones_claims(tmp_path: Any) -> None:
    first = store_on(tmp_path / "shared.db")
    assert isinstance(first.claim_idempotency("partner", "key-in-flight", "fp", 3600), Claimed)
    second = store_on(tmp_path / "shared.db")  # starting up must not delete the claim in flight
    assert isinstance(second.claim_idempotency("partner", "key-in-flight", "fp", 3600), InFlight)
    assert first.finish_idempotency("partner", "key-in-flight", StoredOutcome(200, b"first"))
    assert second.claim_idempotency("partner", "key-in-flight", "fp", 3600) == StoredOutcome(200, b"first")


def test_an_outcome_never_replaces_another(tmp_path: Any) -> None:
    first, second = store_on(tmp_path / "shared.db"), store_on(tmp_path / "shared.db")
    first.claim_idempotency("partner", "key-done-once", "fp", 3600)
    first.finish_idempotency("partner", "key-done-once", StoredOutcome(200, b"first"))
    assert not second.finish_idempotency("partner", "key-done-once", StoredOutcome(409, b"second"))
    assert not first.finish_idempotency("partner", "key-done-once", StoredOutcome(409, b"again"))
    second.release_idempotency("partner", "key-done-once")
    assert second.claim_idempotency("partner", "key-done-once", "fp", 3600) == StoredOutcome(200, b"first")


def test_a_claim_whose_process_is_gone_is_taken_over(tmp_path: Any) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    killed = store_on(tmp_path / "shared.db", owner=f"{dead.stdout.strip()}:killed")
    killed.claim_idempotency("partner", "key-orphaned", "fp", 3600)
    survivor = store_on(tmp_path / "shared.db")
    assert isinstance(survivor.claim_idempotency("partner", "key-orphaned", "fp", 3600), Claimed)
    assert not killed.finish_idempotency("partner", "key-orphaned", StoredOutcome(200, b"late"))
    assert survivor.finish_idempotency("partner", "key-orphaned", StoredOutcome(200, b"survivor"))


def test_a_post_cut_off_before_its_body_claims_nothing(live: EmulatorProcess, http: httpx.Client) -> None:
    """A client cancelled between writing its headers and its body (what gRPC's cancel of a provider call
    does to httpcore when the engine dies) must not leave an outcome: the full request under the same key
    is then the create, as with a real server, and is not refused as a reuse of the key."""
    key = f"cut-off-{uuid.uuid4().hex}"
    body = b'{"name":"Cut Off"}'
    address = httpx.URL(live.url)
    head = (
        f"POST /api/organizations HTTP/1.1\r\nHost: {address.host}\r\n"
        f"Authorization: {http.headers['Authorization']}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection((address.host, address.port)) as connection:
        connection.sendall(head)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        entry.get("fault") == "client_aborted" for entry in live.admin.journal()
    ):
        time.sleep(0.02)
    (aborted,) = [entry for entry in live.admin.journal() if entry.get("fault") == "client_aborted"]
    assert aborted["status"] is None

    whole = http.post("/api/organizations", content=body, headers={"Idempotency-Key": key})

    assert whole.status_code == 200, whole.text
    assert "idempotent-replayed" not in whole.headers
    assert [o["name"] for o in live.admin.organizations()].count("Cut Off") == 1
