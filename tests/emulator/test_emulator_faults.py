"""The fault plan against a real server: latency, 500s, 429s, dropped connections, fail-next-N."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from polytomic_emulator.app import ConnectionDropped
from polytomic_emulator.launcher import EmulatorProcess


def count_named(live: EmulatorProcess, name: str) -> int:
    return [org["name"] for org in live.admin.organizations()].count(name)


def test_latency_applies_to_api_but_not_to_control_routes(live: EmulatorProcess, http: httpx.Client) -> None:
    # A latency far above what a health check costs on a busy machine, so that a control route held by it
    # fails the test and one merely slow to answer does not.
    live.admin.set_faults(latency_ms=2000)
    began = time.perf_counter()
    assert http.get("/api/organizations").status_code == 200
    assert time.perf_counter() - began >= 2.0
    began = time.perf_counter()
    assert live.admin.health()
    assert time.perf_counter() - began < 1.0
    entry = live.admin.journal()[-1]
    assert entry["fault"] == "latency" and entry["latency_ms"] == 2000


def test_error_rate_is_reproducible_with_a_seed(live: EmulatorProcess, http: httpx.Client) -> None:
    def run() -> list[int]:
        live.admin.set_faults(error_rate=0.5, seed=1234)
        return [http.get("/api/organization").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500}
    errors = [e for e in live.admin.journal() if e["status"] == 500]
    assert errors and all(e["fault"] == "server_error" and e["error_key"] == "internal_error" for e in errors)


def test_error_rate_one_fails_everything_with_the_error_body(
    live: EmulatorProcess, http: httpx.Client
) -> None:
    live.admin.set_faults(error_rate=1.0)
    response = http.post("/api/organizations", json={"name": "Never"})
    assert response.status_code == 500
    assert response.json() == {
        "key": "internal_error",
        "message": "injected fault: HTTP 500",
        "status": 500,
        "metadata": {},
    }
    assert response.headers["x-polytomic-version"] == "2025-09-18"
    assert count_named(live, "Never") == 0


def test_rate_limit_carries_retry_after(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(rate_limit_rate=1.0, retry_after_s=3)
    response = http.get("/api/organizations")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["key"] == "rate_limited"
    assert live.admin.journal()[-1]["fault"] == "rate_limit"


def test_fail_next_n_then_recover(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(fail_next=2, fail_status=503)
    statuses = [http.get("/api/organization").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert live.admin.faults()["fail_next"] == 0


def test_fail_next_defaults_to_500_and_429_gets_retry_after(
    live: EmulatorProcess, http: httpx.Client
) -> None:
    live.admin.set_faults(fail_next=1)
    assert http.get("/api/organization").status_code == 500
    live.admin.set_faults(fail_next=1, fail_status=429, retry_after_s=2)
    response = http.get("/api/organization")
    assert response.status_code == 429 and response.headers["retry-after"] == "2"


def test_injected_failures_are_not_idempotency_outcomes(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(fail_next=1)
    headers = {"Idempotency-Key": "retry-after-500"}
    assert http.post("/api/organizations", json={"name": "Retried"}, headers=headers).status_code == 500
    retry = http.post("/api/organizations", json={"name": "Retried"}, headers=headers)
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers


def test_drop_before_handling_closes_without_response_or_write(
    live: EmulatorProcess, http: httpx.Client
) -> None:
    live.admin.set_faults(drop_before_next=1)
    with pytest.raises(httpx.TransportError):
        http.post("/api/organizations", json={"name": "Dropped early"})
    assert count_named(live, "Dropped early") == 0
    entry = live.admin.journal()[-1]
    assert entry["fault"] == "drop_before" and entry["status"] is None
    # The next request (on a fresh connection) is served normally.
    assert http.post("/api/organizations", json={"name": "Dropped early"}).status_code == 200


def test_drop_after_handling_commits_the_write(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(drop_after_next=1)
    with pytest.raises(httpx.TransportError):
        http.post("/api/organizations", json={"name": "Ghost"})
    assert count_named(live, "Ghost") == 1
    entry = live.admin.journal()[-1]
    assert entry["fault"] == "drop_after" and entry["status"] == 200
    # A naive retry (no Idempotency-Key) now collides with the write it never saw.
    assert http.post("/api/organizations", json={"name": "Ghost"}).status_code == 409


def test_drop_after_then_retry_with_same_key_is_safe(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(drop_after_next=1, methods=["POST"])
    headers = {"Idempotency-Key": "duplicate-create-guard"}
    with pytest.raises(httpx.TransportError):
        http.post("/api/organizations", json={"name": "Once"}, headers=headers)
    retry = http.post("/api/organizations", json={"name": "Once"}, headers=headers)
    assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
    matches = [org for org in live.admin.organizations() if org["name"] == "Once"]
    assert len(matches) == 1 and matches[0]["id"] == retry.json()["data"]["id"]


def test_drop_rates(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(drop_before_rate=1.0)
    with pytest.raises(httpx.TransportError):
        http.get("/api/organizations")
    live.admin.set_faults(drop_after_rate=1.0)
    with pytest.raises(httpx.TransportError):
        http.get("/api/organizations")
    assert [e["fault"] for e in live.admin.journal()] == ["drop_before", "drop_after"]


def test_methods_filter(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(error_rate=1.0, methods=["PUT", "DELETE"])
    assert http.get("/api/organizations").status_code == 200
    assert http.post("/api/organizations", json={"name": "Filtered"}).status_code == 200


def test_control_routes_are_never_faulted_nor_journaled(live: EmulatorProcess) -> None:
    live.admin.set_faults(fail_next=5, drop_before_rate=1.0)
    assert live.admin.health()
    assert live.admin.organizations()
    assert live.admin.faults()["fail_next"] == 5
    assert live.admin.journal() == []


def test_clear_faults(live: EmulatorProcess, http: httpx.Client) -> None:
    live.admin.set_faults(error_rate=1.0)
    live.admin.clear_faults()
    assert http.get("/api/organizations").status_code == 200
    assert live.admin.faults()["error_rate"] == 0.0


@pytest.mark.parametrize(
    "plan",
    [
        {"error_rate": 1.5},
        {"latency_ms": -1},
        {"fail_status": 200},
        {"methods": ["FETCH"]},
        {"unknown_knob": 1},
        {"fail_next": "three"},
    ],
)
def test_invalid_plans_are_422(live: EmulatorProcess, kit: Any, plan: dict[str, Any]) -> None:
    response = httpx.put(f"{live.url}/_emulator/faults", json=plan, headers=kit.admin)
    assert response.status_code == 422 and response.json()["key"] == "validation_failed"


def test_faults_from_the_command_line(kit: Any) -> None:
    extra = ["--faults", '{"fail_next": 1, "fail_status": 502}', "--fault-seed", "7"]
    with EmulatorProcess(partner_key=kit.partner_key, extra_args=extra) as process:
        url = f"{process.url}/api/organization"
        headers = {"Authorization": f"Bearer {kit.partner_key}"}
        assert httpx.get(url, headers=headers).status_code == 502
        assert httpx.get(url, headers=headers).status_code == 200


def test_in_process_drops_raise_instead(client: Any, kit: Any) -> None:
    # TestClient has no TCP connection to close, so a drop surfaces as an exception in the caller.
    client.put("/_emulator/faults", json={"drop_after_next": 1}, headers=kit.admin)
    with pytest.raises(ConnectionDropped):
        client.post("/api/organizations", json={"name": "In-process ghost"}, headers=kit.partner)
    names = [org["name"] for org in client.get("/_emulator/organizations", headers=kit.admin).json()["data"]]
    assert "In-process ghost" in names
