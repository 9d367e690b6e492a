"""Fixtures for the emulator's own tests.

Two ways in: `client` runs the app in-process through Starlette's TestClient (fast, with a fake clock),
`live` is a real emulator process on loopback shared by the session and reset before each test (needed
for real sockets: dropped connections, latency, concurrency).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from polytomic_emulator.app import create_app
from polytomic_emulator.launcher import EmulatorProcess
from polytomic_emulator.settings import EmulatorSettings
from tests.fake_clock import FakeClock

# Distinctive values, so that a search of the journal for them cannot hit anything by accident.
PARTNER_KEY = "pk-test-partner-9f2c61d0a7e34b58"
API_KEY = "ak-test-org-scoped-3b7e90c4d1f2"
ADMIN_TOKEN = "admin-test-token-c0ffee5eed1234"


@dataclass(frozen=True)
class Kit:
    """Credentials and small helpers shared by the emulator tests (a fixture, so no test imports conftest)."""

    partner_key: str = PARTNER_KEY
    api_key: str = API_KEY
    admin_token: str = ADMIN_TOKEN

    @property
    def partner(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.partner_key}"}

    @property
    def org(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def admin(self) -> dict[str, str]:
        return {"X-Emulator-Admin-Token": self.admin_token}

    def create(self, client: TestClient | httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
        """Create an organization as the partner and return its public view."""
        response = client.post("/api/organizations", json={"name": name, **fields}, headers=self.partner)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


@pytest.fixture(scope="session")
def kit() -> Kit:
    return Kit()


@pytest.fixture
def settings() -> EmulatorSettings:
    return EmulatorSettings(partner_key=PARTNER_KEY, api_keys=(API_KEY,), admin_token=ADMIN_TOKEN)


@pytest.fixture
def clock() -> FakeClock:
    """A wall clock for idempotency expiry and journal timestamps, at a plausible date."""
    return FakeClock(1_750_000_000.0)


@pytest.fixture
def client(settings: EmulatorSettings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_process() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(partner_key=PARTNER_KEY, api_keys=[API_KEY], admin_token=ADMIN_TOKEN) as process:
        yield process


@pytest.fixture
def live(live_process: EmulatorProcess) -> EmulatorProcess:
    """The shared real emulator, back in its seeded state with no faults and an empty journal."""
    if not live_process.running:  # a test may have stopped it
        live_process.start()
    live_process.admin.reset()
    return live_process


@pytest.fixture
def http(live: EmulatorProcess) -> Iterator[httpx.Client]:
    """A keep-alive client for the live emulator, authenticated as the partner."""
    with httpx.Client(
        base_url=live.url, headers={"Authorization": f"Bearer {PARTNER_KEY}"}, timeout=10
    ) as http_client:
        yield http_client
