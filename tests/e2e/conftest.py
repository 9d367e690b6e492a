"""Fixtures of the end-to-end suite shared by its modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.front_ends import front_end  # noqa: F401 - the fixture, for this suite's tests
from tests.npm import npm_install
from tests.pulumi_harness import PROGRAMS, StackFactory, StackHarness
from tests.run_wide import made_once
from tests.support import PARTNER_KEY, SECOND_PARTNER_KEY


@pytest.fixture
def two_accounts_stack(
    make_stack: StackFactory, emulator: EmulatorProcess, second_emulator: EmulatorProcess
) -> StackHarness:
    """A stack of programs/plugin-two-accounts: one explicit provider per account (first: `emulator`,
    second: `second_emulator`), each from stack config; no default provider is configured."""
    harness = make_stack("plugin-two-accounts", partner_key=None)
    harness.set_config("firstUrl", auto.ConfigValue(emulator.url))
    harness.set_secret("firstKey", PARTNER_KEY)
    harness.set_config("secondUrl", auto.ConfigValue(second_emulator.url))
    harness.set_secret("secondKey", SECOND_PARTNER_KEY)
    return harness


@pytest.fixture(scope="session")
def typescript_node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TypeScript program's dependencies (`@pulumi/pulumi` from npm), installed once per run and
    shared by the workers (tests/run_wide.py); tests link to it and never write into it."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.fail(
            "the TypeScript program needs Node.js and npm on PATH: install Node.js (https://nodejs.org)"
        )

    def install(folder: Path) -> None:
        folder.mkdir()
        shutil.copy(PROGRAMS / "hello-typescript" / "package.json", folder)
        npm_install(npm, folder)

    return made_once(tmp_path_factory, "typescript-dependencies", install) / "node_modules"
