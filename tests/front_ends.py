"""The two front ends a test can run against: the dynamic provider and the provider plugin.

Both test programs declare the same organizations from the same stack config (tests/e2e/declared.py), so a
test that takes the `front_end` fixture runs its assertions once per front end; what differs between
them (the type token, property spelling, the way to adopt) is written here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.frontend import camel_case
from tests.pulumi_harness import StackFactory, StackHarness


@dataclass(frozen=True)
class FrontEnd:
    name: str
    """As the test ids and the report lines name it."""
    program: str
    """The test program under tests/e2e/programs."""
    type_suffix: str
    """How the Organization's type token ends in the stack's state."""
    provider_process: str
    """Part of the command line of the process that serves the Organization during `up`."""
    spell: Callable[[str], str]
    """A field (`sso_domain`) as the front end's users write it."""
    adopt_hint: Callable[[str], str]
    """What the error names as the way to adopt the organization with this id."""
    delete_first_hint: str
    """What an error names as the way to make a replacement delete first."""
    create_first: dict[str, Any]
    """Declared options under which `pulumi up --replace` creates the replacement first."""
    delete_first: dict[str, Any]
    """Declared options under which it deletes the old organization first."""

    def stack(self, make_stack: StackFactory, emulator: EmulatorProcess, **kwargs: Any) -> StackHarness:
        return make_stack(self.program, emulator=emulator, **kwargs)

    def organizations_in_state(self, harness: StackHarness) -> list[dict[str, Any]]:
        return harness.state_resources(self.type_suffix)


DYNAMIC = FrontEnd(
    name="dynamic",
    program="organizations",
    type_suffix="dynamic/polytomic:Organization",
    provider_process="-m pulumi.dynamic",
    spell=lambda field: field,
    adopt_hint=lambda organization_id: f"adopt_id={organization_id!r}",
    delete_first_hint="remove delete_before_replace=False",
    create_first={"delete_before_replace": False},
    delete_first={},  # the resource's default
)
PLUGIN = FrontEnd(
    name="plugin",
    program="plugin-organizations",
    type_suffix="polytomic:index:Organization",
    provider_process="pulumi-resource-polytomic",
    spell=camel_case,
    adopt_hint=lambda organization_id: (
        f"pulumi import polytomic:index:Organization <resource name> {organization_id}"
    ),
    delete_first_hint="deleteBeforeReplace: true",
    # A targeted replacement never asks the provider, so only the resource option makes it delete first.
    create_first={},
    delete_first={"delete_before_replace": True},
)


@pytest.fixture(params=[DYNAMIC, PLUGIN], ids=lambda front_end: front_end.name)
def front_end(request: pytest.FixtureRequest) -> FrontEnd:
    selected: FrontEnd = request.param
    return selected
