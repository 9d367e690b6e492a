"""An organization's identity is (account, id): two emulators stand for two partner accounts, A and B.

The real CLI and engine, both front ends. A change of settings, or of the provider an organization is
bound to, never makes an organization "unchanged", "deleted" or created again in the other account: it
stops, naming both accounts (URL and owner organization, never a key) and the ways out.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.fields import ACCOUNT
from tests.front_ends import DYNAMIC, FrontEnd
from tests.pulumi_harness import StackFactory, StackHarness
from tests.support import PARTNER_KEY, SECOND_PARTNER_KEY, account_of

pytestmark = pytest.mark.e2e

DECLARED = [{"resource": f"org{n}", "name": f"Account Org {n}"} for n in range(3)]


def account(emulator: EmulatorProcess) -> str:
    return account_of(emulator.url, emulator.admin.organizations())


def children(emulator: EmulatorProcess) -> dict[str, str]:
    return {o["name"]: o["id"] for o in emulator.admin.organizations() if not o["is_owner"]}


def point_at(harness: StackHarness, emulator: EmulatorProcess, key: str) -> None:
    harness.set_config("polytomic:deploymentUrl", auto.ConfigValue(emulator.url))
    harness.set_secret("polytomic:partnerKey", key)


def fails(harness: StackHarness, *command: str) -> str:
    """Run a CLI command that must fail; what it printed."""
    result = harness.cli(*command, check=False)
    assert result.returncode != 0, f"pulumi {' '.join(command)} succeeded:\n{result.stdout[-3000:]}"
    return result.stdout + result.stderr


def assert_names_both_accounts(output: str, a: EmulatorProcess, b: EmulatorProcess) -> None:
    for emulator in (a, b):
        url, owner = account(emulator).split("#owner=")
        assert f"{url} (owner organization {owner})" in output
    assert PARTNER_KEY not in output and SECOND_PARTNER_KEY not in output
    assert "pulumi state delete" in output


def test_every_organization_records_its_account_in_inputs_and_outputs(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(DECLARED[:1])
    harness.up()
    (resource,) = front_end.organizations_in_state(harness)
    assert resource["inputs"][ACCOUNT] == resource["outputs"][ACCOUNT] == account(emulator)
    assert PARTNER_KEY not in harness.exported_state()


def test_a_stack_pointed_at_another_account_stops_and_forgets_nothing(
    make_stack: StackFactory,
    emulator: EmulatorProcess,
    second_emulator: EmulatorProcess,
    front_end: FrontEnd,
) -> None:
    """A mistaken pipeline variable: the stack's settings now reach account B."""
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(DECLARED)
    harness.up()
    in_a = children(emulator)
    assert len(in_a) == 3

    point_at(harness, second_emulator, SECOND_PARTNER_KEY)
    assert_names_both_accounts(fails(harness, "preview"), emulator, second_emulator)
    assert_names_both_accounts(fails(harness, "up", "--yes", "--skip-preview"), emulator, second_emulator)
    assert_names_both_accounts(fails(harness, "refresh", "--yes"), emulator, second_emulator)
    assert_names_both_accounts(fails(harness, "destroy", "--yes"), emulator, second_emulator)
    assert children(second_emulator) == {}, "nothing was created in account B"
    assert children(emulator) == in_a, "nothing was deleted in account A"
    assert {r["id"] for r in front_end.organizations_in_state(harness)} == set(in_a.values())

    # Back to A: nothing to change. (The failed up recorded B's settings in the provider's state, which
    # refresh and destroy use: the up puts A's back.)
    point_at(harness, emulator, PARTNER_KEY)
    harness.preview(expect_no_changes=True)
    assert harness.up().summary.resource_changes == {"same": 4}
    harness.refresh()
    assert {r["id"] for r in front_end.organizations_in_state(harness)} == set(in_a.values())
    harness.destroy()
    assert children(emulator) == {}


def test_an_organization_deleted_outside_pulumi_leaves_the_stack_only_on_a_404_in_its_own_account(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, partner_api: Any
) -> None:
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(DECLARED[:2])
    harness.up()
    gone = children(emulator)["Account Org 0"]
    partner_api.delete(f"/api/organizations/{gone}").raise_for_status()
    harness.refresh()
    assert [r["outputs"]["name"] for r in front_end.organizations_in_state(harness)] == ["Account Org 1"]


def test_the_plugin_refuses_to_move_an_organization_to_another_providers_account(
    two_accounts_stack: StackHarness, emulator: EmulatorProcess, second_emulator: EmulatorProcess
) -> None:
    """`provider: ${first}` becomes `provider: ${second}`: never "unchanged", never a silent rebinding."""
    harness = two_accounts_stack
    harness.up()
    before_a, before_b = children(emulator), children(second_emulator)

    project = harness.work_dir / "Pulumi.yaml"
    text = project.read_text()
    moved = text.replace(
        "name: First Account Org\n      ssoDomain: first.example.com\n    options:\n      provider: ${first}",
        "name: First Account Org\n      ssoDomain: "
        "first.example.com\n    options:\n      provider: ${second}",
    )
    assert moved != text
    project.write_text(moved)

    assert_names_both_accounts(fails(harness, "preview", "--diff"), emulator, second_emulator)
    assert_names_both_accounts(fails(harness, "up", "--yes", "--skip-preview"), emulator, second_emulator)
    first = next(r for r in harness.state_resources("polytomic:index:Organization") if "firstOrg" in r["urn"])
    assert "::first::" in first["provider"], "the state still binds it to the provider of account A"
    assert children(emulator) == before_a and children(second_emulator) == before_b

    project.write_text(text)  # back: nothing to do
    harness.preview(expect_no_changes=True)
    harness.destroy()
    assert children(emulator) == {} and children(second_emulator) == {}


def test_one_id_adopted_by_two_resources_fails_preview_naming_both(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: Any
) -> None:
    existing = partner_api.post("/api/organizations", json={"name": "Existing"}).json()["data"]["id"]
    harness = DYNAMIC.stack(make_stack, emulator)
    harness.set_organizations(
        [
            {"resource": "first", "name": "Existing", "adopt_id": existing},
            {"resource": "second", "name": "Existing Again", "adopt_id": existing},
        ]
    )
    output = fails(harness, "preview")
    assert f"organization {existing} is claimed by two resources" in output
    assert "'Existing'" in output and "'Existing Again'" in output
    assert harness.state_resources(DYNAMIC.type_suffix) == []


def test_an_unknown_adopt_id_fails_preview_with_the_id(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    unknown = "248df4b7-aa70-47b8-a036-33ac447e668d"
    harness = DYNAMIC.stack(make_stack, emulator)
    harness.set_organizations([{"resource": "adopted", "name": "Adopted", "adopt_id": unknown}])
    output = fails(harness, "preview")
    assert f"adopt_id {unknown!r} names no organization in the partner account" in output
    assert [e["method"] for e in emulator.admin.journal() if e["method"] != "GET"] == []


def test_an_id_adopted_while_another_resource_holds_it_fails_preview_naming_both(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = DYNAMIC.stack(make_stack, emulator)
    harness.set_organizations([{"resource": "held", "name": "Held"}])
    harness.up()
    held = children(emulator)["Held"]
    harness.set_organizations(
        [{"resource": "held", "name": "Held"}, {"resource": "again", "name": "Again", "adopt_id": held}]
    )
    output = fails(harness, "preview")
    assert f"organization {held} is claimed by two resources" in output
    assert "'Held'" in output and "'Again'" in output


def test_an_id_imported_while_the_stack_holds_it_fails_the_next_preview_naming_both(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: Any
) -> None:
    """`pulumi import` runs no program and shows the provider nothing of the stack, so the import itself
    goes through; the first preview that meets both resources stops, naming both URNs."""
    made = {"name": "Imported Org", "sso_domain": "imported.example.com", "sso_org_id": "org_imported"}
    held = partner_api.post("/api/organizations", json=made).json()["data"]["id"]
    harness = make_stack("plugin-import", emulator=emulator)
    for resource in ("imported", "twin"):
        harness.cli("import", "polytomic:index:Organization", resource, held, "--yes", "--protect=false")
    project = harness.work_dir / "Pulumi.yaml"
    twin = (
        "resources:\n  twin:\n    type: polytomic:index:Organization\n    properties:\n"
        "      name: Imported Org\n      ssoDomain: imported.example.com\n      ssoOrgId: org_imported\n"
    )
    project.write_text(project.read_text().replace("resources:\n", twin, 1))
    output = fails(harness, "preview")
    assert f"organization {held} is claimed by two resources" in output
    assert "polytomic:index:Organization::imported" in output
    assert "polytomic:index:Organization::twin" in output


@pytest.mark.parametrize("program", ["secret-name", "plugin-secret-name"], ids=["dynamic", "plugin"])
def test_a_name_marked_secret_is_never_repeated_in_a_conflict_message(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: Any, program: str
) -> None:
    hidden = f"Hidden Name {secrets.token_hex(6)}"
    holder = partner_api.post("/api/organizations", json={"name": hidden}).json()["data"]["id"]
    harness = make_stack(program, emulator=emulator)
    harness.set_config("orgName", auto.ConfigValue(hidden))  # plain: the CLI masks no config
    output = fails(harness, "up", "--yes", "--skip-preview")
    assert holder in output and "already exists" in output
    assert hidden not in output
    # The dynamic default provider's inputs hold the stack's whole config, the plain orgName included
    # (this test's own choice): every other resource must not.
    resources = json.loads(harness.exported_state())["deployment"].get("resources") or []
    assert hidden not in json.dumps([r for r in resources if not r["type"].startswith("pulumi:providers:")])
