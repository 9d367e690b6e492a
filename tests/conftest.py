"""Fixtures every suite may use: a live emulator on loopback, shared by the tests of a pytest process and
reset before each."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import settings

from polytomic_emulator.launcher import EmulatorProcess
from tests.support import ADMIN_TOKEN, API_KEY, PARTNER_KEY, SECOND_PARTNER_KEY

# The Pulumi CLI fixtures (make_stack, pulumi_bin_dir) serve the e2e and reliability suites alike.
pytest_plugins = ["tests.pulumi_harness"]

# The Go processes the suite starts (the CLI, the language hosts, `go build` of the Go programs) live a few
# seconds each: their garbage collection is work thrown away at exit. Off, with a ceiling per process past
# which it resumes (2 GiB; the largest sampled, a CLI, held 0.14 GiB), a no-change preview took 5% less CPU
# (docs/testing.md). Set here, before any worker or CLI starts, so every subprocess inherits it; a value in
# the shell wins.
os.environ.setdefault("GOGC", "off")
os.environ.setdefault("GOMEMLIMIT", "2GiB")

# No per-example wall-clock deadline for Hypothesis (its default is 200 ms): on a busy 2-core machine an
# example may wait that long for a core, which says nothing about the code. Tests that bound a cost do so
# themselves, in CPU time or with a stated margin.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one pytest worker more than this process may use cores. A CLI-driving test waits on
    the processes each command starts and stops, so with one worker per core the cores idle part of the
    time: on 2 cores, 3 workers took the suite from 392 s to 338 s (1.6 to 1.9 cores busy)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores + 1


#: Which shared emulator: the partner account's key, and whether it also seeds an organization-scoped key.
EmulatorKind = tuple[str, bool]


@pytest.fixture(scope="session")
def shared_emulators() -> Iterator[dict[EmulatorKind, EmulatorProcess]]:
    """The emulators of this pytest process, started on first use: partner account A's (plain, or also
    seeding an organization-scoped API key) and account B's. Starting one per test cost most of a provider
    test's time."""
    started: dict[EmulatorKind, EmulatorProcess] = {}
    yield started
    for process in started.values():
        process.close()


def shared_emulator(
    shared: dict[EmulatorKind, EmulatorProcess],
    tmp_path_factory: pytest.TempPathFactory,
    partner_key: str,
    *,
    with_api_key: bool = False,
) -> EmulatorProcess:
    """The process's emulator of that kind, as freshly seeded: reset (organizations, idempotency records,
    journal and faults) before the test. A test that stops or restarts it gets it back running, with the
    same port and database."""
    kind = (partner_key, with_api_key)
    process = shared.get(kind)
    if process is None:
        process = EmulatorProcess(
            partner_key=partner_key,
            api_keys=[API_KEY] if with_api_key else [],
            admin_token=ADMIN_TOKEN,
            db_path=tmp_path_factory.mktemp("emulator") / "emulator.db",
        )
        process.start()
        shared[kind] = process
    elif not process.running:
        process.start()
    process.admin.reset()
    return process


@pytest.fixture
def emulator(
    shared_emulators: dict[EmulatorKind, EmulatorProcess],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> EmulatorProcess:
    """A live emulator on loopback for partner account A (tests.support.PARTNER_KEY), reset before the test.

    Tests marked `api_key` also get an organization-scoped API key (tests.support.API_KEY).
    """
    with_api_key = request.node.get_closest_marker("api_key") is not None
    return shared_emulator(shared_emulators, tmp_path_factory, PARTNER_KEY, with_api_key=with_api_key)


@pytest.fixture
def second_emulator(
    shared_emulators: dict[EmulatorKind, EmulatorProcess], tmp_path_factory: pytest.TempPathFactory
) -> EmulatorProcess:
    """Another partner account: its own emulator, owner organization and partner key; reset as above."""
    return shared_emulator(shared_emulators, tmp_path_factory, SECOND_PARTNER_KEY)


@pytest.fixture
def partner_api(emulator: EmulatorProcess) -> Iterator[httpx.Client]:
    """A plain HTTP client with the partner key: for changing things behind Pulumi's back."""
    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": f"Bearer {PARTNER_KEY}"}, timeout=10
    ) as client:
        yield client


def pytest_collection_finish(session: pytest.Session) -> None:
    """Stop a parallel run whose `xdist_group` marks have no effect: tests of one group (one plugin
    virtualenv, one build folder) would run on two workers at once and race. pytest 9.2 with
    pytest-xdist 3.8 does that silently (pytest-dev/pytest-xdist#1386)."""
    if not getattr(session.config.option, "loadgroup", False):
        return  # not a worker of a `--dist loadgroup` run
    ungrouped = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") is not None and "@" not in item.nodeid
    ]
    if ungrouped:
        raise pytest.UsageError(
            f"--dist loadgroup has no effect with pytest {pytest.__version__} (e.g. {ungrouped[0]}): "
            "install the pytest the dev extra pins (make .venv/.installed)"
        )
