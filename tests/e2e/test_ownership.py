"""Ownership under the Pulumi workflows users run: a stack never takes over, deletes or half-adopts an
organization it did not create in that operation or that the user did not name.

One test per way it used to go wrong (replacement, a twin stack, `state delete`), and the diffs that say
what changes (`replace_on_changes`, `ignore_changes`, a rotated secret, drift found by refresh). Each runs
against both front ends: the dynamic provider and the provider plugin (tests/front_ends.py).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_organization_lifecycle import OIDC, PLAIN, children, last_seq, writes
from tests.front_ends import DYNAMIC, PLUGIN, FrontEnd
from tests.pulumi_harness import StackFactory, StackHarness
from tests.support import CLIENT_SECRET

pytestmark = pytest.mark.e2e


def deploy(harness: StackHarness, *organizations: dict[str, object]) -> None:
    harness.set_organizations(list(organizations))
    harness.up()


def state_ids(harness: StackHarness) -> dict[str, str]:
    return {r["outputs"]["name"]: r["id"] for r in harness.state_resources(":Organization")}


def adopt(front_end: FrontEnd, harness: StackHarness, organization_id: str) -> None:
    """Take the organization over the way the error says: `adopt_id`, or `pulumi import` for the plugin."""
    if front_end is PLUGIN:
        harness.cli(
            "import",
            "polytomic:index:Organization",
            PLAIN["resource"],
            organization_id,
            "--yes",
            "--protect=false",
        )
        harness.set_organizations([PLAIN])
        harness.up()
    else:
        deploy(harness, {**PLAIN, "adopt_id": organization_id})


def failed_up(harness: StackHarness) -> str:
    """Run an `up` that must fail; return everything it printed."""
    with pytest.raises(auto.CommandError) as failure:
        harness.up()
    return f"{failure.value}\n" + "\n".join(harness.output)


def test_up_replace_leaves_exactly_one_live_organization_the_one_in_state(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, {**PLAIN, **front_end.delete_first})
    old_id = state_ids(harness)["Plain Org"]
    urn = harness.state_resources(":Organization")[0]["urn"]

    harness.up(replace=[urn])

    live = children(emulator)
    assert list(live) == ["Plain Org"], "one organization of that name, no duplicate and none lost"
    new_id = state_ids(harness)["Plain Org"]
    assert new_id != old_id, "a replacement is a new organization"
    assert live["Plain Org"]["id"] == new_id, "the stack holds the live one, not a deleted id"
    harness.preview(expect_no_changes=True)


def test_a_create_first_replacement_stops_naming_the_old_organization_and_changes_nothing(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    """Names are unique: a replacement created before the old organization is deleted cannot take its name.
    The refused create leaves the organization and the state as they were, and says how to delete first."""
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, {**PLAIN, **front_end.create_first})
    old_id = state_ids(harness)["Plain Org"]
    urn = harness.state_resources(":Organization")[0]["urn"]
    since = last_seq(emulator)

    with pytest.raises(auto.CommandError):
        harness.up(replace=[urn])
    printed = "\n".join(harness.output)

    assert old_id in printed and front_end.delete_first_hint in printed, printed
    assert [e["status"] for e in writes(emulator, since)] == [409], "one refused POST, nothing else written"
    assert {name: o["id"] for name, o in children(emulator).items()} == {"Plain Org": old_id}
    assert state_ids(harness) == {"Plain Org": old_id}
    if front_end is not PLUGIN:
        # Adopting the organization being replaced, as the message allows, keeps it: the engine's delete of
        # the old entry spares what this operation's create took over.
        deploy(harness, {**PLAIN, **front_end.create_first, "adopt_id": old_id})
        assert {name: o["id"] for name, o in children(emulator).items()} == {"Plain Org": old_id}
        assert state_ids(harness) == {"Plain Org": old_id}
    deploy(harness, {**PLAIN, **front_end.delete_first})
    harness.preview(expect_no_changes=True)


def test_a_twin_stack_on_another_backend_cannot_take_over_or_delete(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, tmp_path: Path
) -> None:
    first = front_end.stack(make_stack, emulator)
    deploy(first, PLAIN)
    first_id = state_ids(first)["Plain Org"]
    other_backend = tmp_path / "other-backend"
    other_backend.mkdir()
    # Same project, same stack name, same program: a copy of the repository on another backend.
    twin = front_end.stack(make_stack, emulator, extra_env={"PULUMI_BACKEND_URL": other_backend.as_uri()})
    assert twin.stack.name == first.stack.name

    twin.set_organizations([PLAIN])
    printed = failed_up(twin)

    assert first_id in printed, "the error names the organization that holds the name"
    assert front_end.adopt_hint(first_id) in printed, "and the exact way to adopt it"
    if front_end is PLUGIN:  # the plugin shows its own errors as written, without the server's stack trace
        assert 'File "' not in printed and "Traceback" not in printed, printed
    assert twin.state_resources(":Organization") == []
    twin.destroy()
    assert children(emulator)["Plain Org"]["id"] == first_id, "the twin deleted nothing of the first stack's"
    first.preview(expect_no_changes=True)


def test_state_delete_then_up_stops_naming_the_organization(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, partner_api: httpx.Client
) -> None:
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, PLAIN)
    org_id = state_ids(harness)["Plain Org"]
    partner_api.put(
        f"/api/organizations/{org_id}", json={"name": "Plain Org", "sso_domain": "outside.example.com"}
    ).raise_for_status()
    harness.cli("state", "delete", harness.state_resources(":Organization")[0]["urn"], "--yes")
    since = last_seq(emulator)

    printed = failed_up(harness)

    assert front_end.adopt_hint(org_id) in printed
    assert [e["status"] for e in writes(emulator, since)] == [409], "one refused POST, nothing else written"
    assert children(emulator)["Plain Org"]["sso_domain"] == "outside.example.com"

    # Adopting it, as the error says, leaves the server equal to the program.
    adopt(front_end, harness, org_id)
    record = children(emulator)["Plain Org"]
    assert (record["id"], record["sso_domain"], record["issuer"]) == (org_id, PLAIN["sso_domain"], None)
    assert state_ids(harness) == {"Plain Org": org_id}
    harness.preview(expect_no_changes=True)


def test_replace_on_changes_field_forces_a_delete_first_replacement(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    harness = front_end.stack(make_stack, emulator)
    declared = {**PLAIN, "replace_on_changes": ["sso_domain"]}
    deploy(harness, declared)
    old_id = state_ids(harness)["Plain Org"]

    harness.set_organizations([{**declared, "sso_domain": "moved.example.com"}])
    assert harness.preview().change_summary.get("replace") == 1
    harness.up()

    live = children(emulator)
    assert list(live) == ["Plain Org"]
    assert live["Plain Org"]["id"] != old_id
    assert live["Plain Org"]["sso_domain"] == "moved.example.com"
    assert state_ids(harness) == {"Plain Org": live["Plain Org"]["id"]}
    harness.preview(expect_no_changes=True)


@pytest.mark.parametrize(
    "front_end", [DYNAMIC], ids=["dynamic"]
)  # the plugin's diff of ignored fields: tests/provider/test_plugin_methods.py
def test_ignore_changes_keeps_a_field_out_of_the_update(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    harness = front_end.stack(make_stack, emulator)
    declared = {**PLAIN, "ignore_changes": ["sso_domain"]}
    deploy(harness, declared)
    since = last_seq(emulator)

    harness.set_organizations([{**declared, "sso_domain": "ignored.example.com"}])
    harness.preview(expect_no_changes=True)
    harness.up()

    assert writes(emulator, since) == []
    assert children(emulator)["Plain Org"]["sso_domain"] == PLAIN["sso_domain"]


def test_a_secret_rotation_is_shown_as_a_change_of_client_secret_without_its_value(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    harness = front_end.stack(make_stack, emulator)
    harness.set_secret("clientSecret-oidc", CLIENT_SECRET)
    deploy(harness, OIDC)
    harness.output.clear()

    harness.set_secret("clientSecret-oidc", CLIENT_SECRET + "-rotated")
    harness.preview()
    harness.preview(diff=True)

    printed = "\n".join(harness.output)
    secret = front_end.spell("client_secret")
    assert f"[diff: ~{secret}]" in printed, printed
    assert f"{secret}: [secret] => [secret]" in printed, printed
    assert CLIENT_SECRET not in printed
    assert "__create_key" not in printed, "bookkeeping inputs are not shown as changes"


@pytest.mark.parametrize(
    "front_end", [DYNAMIC], ids=["dynamic"]
)  # the plugin's drift: the lifecycle of tests/e2e/test_plugin.py
def test_drift_found_by_refresh_is_marked_on_the_next_preview(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, partner_api: httpx.Client
) -> None:
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, PLAIN)
    org_id = state_ids(harness)["Plain Org"]
    partner_api.put(
        f"/api/organizations/{org_id}", json={"name": "Renamed By Hand", "sso_domain": PLAIN["sso_domain"]}
    ).raise_for_status()

    harness.refresh()
    harness.output.clear()
    harness.preview()

    assert "[diff: ~name]" in "\n".join(harness.output)


def test_removing_a_second_resource_holding_an_organization_leaves_it_to_the_first(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, partner_api: httpx.Client
) -> None:
    """A run that diffs no holder (an `up --target` adoption, a CLI `pulumi import` under another name)
    lets a second resource hold the organization; the next `up` without it diffs the first (kept) and only
    drops the second from the stack: the organization stays, and the stack previews clean."""
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, PLAIN)
    org_id = state_ids(harness)["Plain Org"]
    holder = harness.state_resources(":Organization")[0]["urn"]
    if front_end is PLUGIN:
        harness.cli("import", "polytomic:index:Organization", "twin", org_id, "--yes", "--protect=false")
    else:
        harness.set_organizations([PLAIN, {**PLAIN, "resource": "twin", "adopt_id": org_id}])
        harness.cli("up", "--yes", "--skip-preview", "--target", f"{holder.rsplit('::', 1)[0]}::twin")
        harness.set_organizations([PLAIN])
    assert sorted(r["urn"].rsplit("::", 1)[1] for r in harness.state_resources(":Organization")) == [
        "plain",
        "twin",
    ]
    since = last_seq(emulator)
    done = harness.up()
    assert [r["urn"] for r in harness.state_resources(":Organization")] == [holder]
    assert partner_api.get(f"/api/organizations/{org_id}").status_code == 200
    assert writes(emulator, since) == [], "nothing deleted"
    assert "not deleted: another resource of this stack holds this organization" in done.stdout + done.stderr
    assert "__create_key" not in harness.preview(diff=True, expect_no_changes=True).stdout


@pytest.mark.parametrize("front_end", [PLUGIN], ids=["plugin"])  # the dynamic one adopts: check refuses it
def test_an_import_option_naming_the_stacks_organization_is_refused_and_its_removal_deletes_nothing(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, partner_api: httpx.Client
) -> None:
    """An `import` option under another name in a full `up`: the run stops naming both resources, at the
    import or at the holder's diff, whichever the engine reaches second (the import may be in the stack
    by then); once the option is taken out again, the organization stays with the first resource."""
    harness = front_end.stack(make_stack, emulator)
    deploy(harness, PLAIN)
    org_id = state_ids(harness)["Plain Org"]
    harness.set_organizations([PLAIN, {**PLAIN, "resource": "twin", "import": org_id}])
    assert "is claimed by two resources of this stack" in failed_up(harness)
    deploy(harness, PLAIN)
    assert [r["urn"].rsplit("::", 1)[1] for r in harness.state_resources(":Organization")] == ["plain"]
    assert partner_api.get(f"/api/organizations/{org_id}").status_code == 200
