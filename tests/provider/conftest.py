"""Fixtures of the provider suite: the provider wired to the live emulator of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.config import Settings
from polytomic_provider.plugin.provider import PolytomicProvider
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from tests.support import account_of, configure


@pytest.fixture
def provider(emulator: EmulatorProcess) -> Iterator[OrganizationProvider]:
    """The provider wired to the emulator, with retry back-off switched off (attempts stay real)."""
    configure(emulator.url)
    with stamina.set_testing(True, attempts=3):
        yield OrganizationProvider()
    RUNTIME.configure(Settings(partner_key=None))


@pytest.fixture
def account(emulator: EmulatorProcess) -> str:
    """The emulator's partner account, as the provider records it in each organization's state."""
    return account_of(emulator.url, emulator.admin.organizations())


@pytest.fixture
def plugin(emulator: EmulatorProcess) -> Iterator[PolytomicProvider]:
    """The provider plugin, configured for the live emulator (retries without waiting)."""
    from tests.provider.test_plugin_methods import configured

    with stamina.set_testing(True, attempts=3):
        yield configured(emulator.url)
