"""Fixtures every suite may use: a live emulator on loopback, one per test, in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from polytomic_provider.emulator.launcher import EmulatorProcess
from tests.support import ADMIN_TOKEN, API_KEY, PARTNER_KEY

# The Pulumi CLI fixtures (make_stack, pulumi_bin_dir) serve the e2e and reliability suites alike.
pytest_plugins = ["tests.pulumi_harness"]


@pytest.fixture(autouse=True)
def one_operation_per_test() -> Iterator[None]:
    """Each test is its own operation: what one test's creates claimed does not spare another's deletes."""
    from polytomic_provider.operations import CLAIMED

    CLAIMED.clear()
    yield
    CLAIMED.clear()


@pytest.fixture
def emulator(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    """A fresh emulator process with its own SQLite file; stopped (and reaped) after the test.

    Tests marked `api_key` also get an organization-scoped API key (tests.support.API_KEY).
    """
    process = EmulatorProcess(
        partner_key=PARTNER_KEY,
        api_keys=[API_KEY] if request.node.get_closest_marker("api_key") else [],
        admin_token=ADMIN_TOKEN,
        db_path=tmp_path / "emulator.db",
    )
    process.start()
    try:
        yield process
    finally:
        process.close()  # stops it and removes its temporary directory


@pytest.fixture
def partner_api(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    """A plain HTTP client with the partner key: for changing things behind Pulumi's back."""
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {PARTNER_KEY}"}, timeout=10
    ) as client:
        yield client
