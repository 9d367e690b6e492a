"""Fixtures every suite may use: a live emulator on loopback, shared by the tests of a pytest process and
reset before each."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from tests.support import ADMIN_TOKEN, API_KEY, PARTNER_KEY

# The Pulumi CLI fixtures (make_stack, pulumi_bin_dir) serve the e2e and reliability suites alike.
pytest_plugins = ["tests.pulumi_harness"]


@pytest.fixture(scope="session")
def shared_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, EmulatorProcess]]:
    """The emulators of this pytest process, started on first use: one plain, one that also seeds an
    organization-scoped API key. Starting one per test cost most of a provider test's time."""
    started: dict[bool, EmulatorProcess] = {}
    yield started
    for process in started.values():
        process.close()


@pytest.fixture
def emulator(
    shared_emulators: dict[bool, EmulatorProcess],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> EmulatorProcess:
    """A live emulator on loopback, as freshly seeded: the process's shared one, reset (organizations,
    idempotency records, journal and faults) before the test. A test that stops or restarts it gets it
    back running, with the same port and database.

    Tests marked `api_key` also get an organization-scoped API key (tests.support.API_KEY).
    """
    with_api_key = request.node.get_closest_marker("api_key") is not None
    process = shared_emulators.get(with_api_key)
    if process is None:
        folder = tmp_path_factory.mktemp("emulator-with-api-key" if with_api_key else "emulator")
        process = EmulatorProcess(
            partner_key=PARTNER_KEY,
            api_keys=[API_KEY] if with_api_key else [],
            admin_token=ADMIN_TOKEN,
            db_path=folder / "emulator.db",
        )
        process.start()
        shared_emulators[with_api_key] = process
    elif not process.running:
        process.start()
    process.admin.reset()
    return process


@pytest.fixture
def partner_api(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    """A plain HTTP client with the partner key: for changing things behind Pulumi's back."""
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {PARTNER_KEY}"}, timeout=10
    ) as client:
        yield client
