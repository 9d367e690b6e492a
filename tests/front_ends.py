"""The two front ends a test can run against: the dynamic provider and the provider plugin.

Both test programs declare the same organizations from the same stack config (tests/e2e/declared.py), so a
test that takes the `front_end` fixture runs its assertions once per front end; what differs between
them (the type token, property spelling, the way to adopt) is written here once. The same holds for the
onboarding programs of users (tests/e2e/test_onboarding.py), from the config keys they share; the extra
users a test declares go into stack config for the Python program and into the YAML program's text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.frontend import camel_case
from tests.pulumi_harness import StackFactory, StackHarness

ExtraUser = dict[str, str]
"""A user the test declares besides the program's own: `resource` (its Pulumi name), `organization` (the
Pulumi name of its organization) and `email`."""


def _declare_in_config(harness: StackHarness, user: ExtraUser) -> None:
    """The Python program reads more users from the stack config `extraUsers`."""
    harness.set_config("extraUsers", auto.ConfigValue(json.dumps([user])))


def _adopt_by_config(harness: StackHarness, user: ExtraUser, organization_id: str, user_id: str) -> None:
    """`adopt_id` on the declared user, then `pulumi up`."""
    harness.set_config("extraUsers", auto.ConfigValue(json.dumps([{**user, "adopt_id": user_id}])))
    harness.up()


def _declare_in_yaml(harness: StackHarness, user: ExtraUser) -> None:
    """A YAML program declares a fixed set of resources: the user is written into it, before `variables:`."""
    program = harness.work_dir / "Pulumi.yaml"
    declared = (
        f"  {user['resource']}:\n    type: polytomic:index:User\n    properties:\n"
        f"      organizationId: ${{{user['organization']}.id}}\n      email: {user['email']}\n"
    )
    text = program.read_text()
    assert "\nvariables:\n" in text, "the YAML program must have a variables section to declare users before"
    program.write_text(text.replace("\nvariables:\n", f"\n{declared}variables:\n", 1))


def _adopt_by_import(harness: StackHarness, user: ExtraUser, organization_id: str, user_id: str) -> None:
    """`pulumi import` by `<organization id>/<email>`, the email in other letters (the user's id is the
    other form the error names); the program already declares the user."""
    harness.cli(
        "import",
        "polytomic:index:User",
        user["resource"],
        f"{organization_id}/{user['email'].upper()}",
        "--yes",
        "--protect=false",
    )


def _twin_by_targeted_adoption(
    harness: StackHarness, user: ExtraUser, organization_id: str, user_id: str
) -> None:
    """`adopt_id` of a user another resource holds, applied by `pulumi up --target` of the adopter alone:
    the run diffs no holder, so nothing refuses it."""
    harness.set_config("extraUsers", auto.ConfigValue(json.dumps([{**user, "adopt_id": user_id}])))
    holder = harness.state_resources(":User")[0]["urn"]
    harness.cli(
        "up", "--yes", "--skip-preview", "--target", f"{holder.rsplit('::', 1)[0]}::{user['resource']}"
    )


def _twin_by_import(harness: StackHarness, user: ExtraUser, organization_id: str, user_id: str) -> None:
    """A CLI `pulumi import` of a user another resource holds, under another name, the program left as it
    is: the import diffs no holder, so nothing refuses it."""
    harness.cli(
        "import",
        "polytomic:index:User",
        user["resource"],
        f"{organization_id}/{user_id}",
        "--yes",
        "--protect=false",
    )


def _drop_from_config(harness: StackHarness, user: ExtraUser) -> None:
    harness.set_config("extraUsers", auto.ConfigValue("[]"))


def _drop_nothing(harness: StackHarness, user: ExtraUser) -> None:
    """`pulumi import` wrote nothing into the program: the user is not declared there."""


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
    onboarding_program: str
    """The test program of two organizations and their users (tests/e2e/test_onboarding.py)."""
    user_adopt_hint: Callable[[str, str], str]
    """What the error of a create whose email is taken names as the way to adopt that user (organization
    id, user id)."""
    declare_user: Callable[[StackHarness, ExtraUser], None]
    """Declare one more user in the onboarding program (applied by the next command)."""
    adopt_user: Callable[[StackHarness, ExtraUser, str, str], None]
    """Bring the existing user (organization id, user id) under the declared user, as a user of this front
    end does: the dynamic provider's `adopt_id` and an `up`, the plugin's `pulumi import`."""
    twin_user: Callable[[StackHarness, ExtraUser, str, str], None]
    """Make a second resource of the stack hold a user (organization id, user id) another one holds, the way
    no run diffs the holder: the dynamic provider's adoption by `up --target`, the plugin's `pulumi import`
    under another name."""
    drop_user: Callable[[StackHarness, ExtraUser], None]
    """Take that second resource out of the program (applied by the next command)."""

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
    onboarding_program="onboarding",
    user_adopt_hint=lambda organization_id, user_id: f"add adopt_id={user_id!r} to its UserArgs",
    declare_user=_declare_in_config,
    adopt_user=_adopt_by_config,
    twin_user=_twin_by_targeted_adoption,
    drop_user=_drop_from_config,
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
    onboarding_program="plugin-onboarding",
    user_adopt_hint=lambda organization_id, user_id: (
        f"pulumi import polytomic:index:User <resource name> {organization_id}/{user_id}"
    ),
    declare_user=_declare_in_yaml,
    adopt_user=_adopt_by_import,
    twin_user=_twin_by_import,
    drop_user=_drop_nothing,
)


@pytest.fixture(params=[DYNAMIC, PLUGIN], ids=lambda front_end: front_end.name)
def front_end(request: pytest.FixtureRequest) -> FrontEnd:
    selected: FrontEnd = request.param
    return selected
