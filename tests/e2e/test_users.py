"""Users of an organization with the real Pulumi CLI: an organization and two users made in one `up`,
exactly one invitation each, a second run with nothing to change, and no secret (the partner key, the
organization's client_secret) in output or state."""

from __future__ import annotations

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_organization_lifecycle import last_seq
from tests.pulumi_harness import StackFactory
from tests.support import CLIENT_SECRET, PARTNER_KEY, base64_readable

pytestmark = pytest.mark.e2e


def test_an_organization_and_two_users_converge_with_one_invitation_each(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack("users", emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)
    harness.up()
    outputs = harness.outputs()
    org = outputs["organization_id"].value
    ids = {outputs["jane_id"].value: "jane@example.com", outputs["bob_id"].value: "bob@example.com"}
    invitations = emulator.admin.invitations()
    assert {i["user_id"]: i["email"] for i in invitations} == ids, "one invitation per user, no more"
    assert {i["organization_id"] for i in invitations} == {org}
    users = {r["id"]: r["outputs"] for r in harness.state_resources(":User")}
    assert users[outputs["bob_id"].value]["role"] == "user", "role='member' resolved to the Member role"
    assert users[outputs["jane_id"].value]["role"] == "admin", "no role given: Admin, as the API does"

    harness.preview(expect_no_changes=True)  # the mixed-case email and the role name diff clean
    harness.up()
    harness.refresh()  # the users read back as stored: nothing to change after it either
    harness.preview(expect_no_changes=True)
    assert len(emulator.admin.invitations()) == 2

    printed = "\n".join(harness.output)
    state = harness.exported_state()
    for text in (printed, state):
        for secret in (PARTNER_KEY, CLIENT_SECRET):
            assert secret not in text
            assert secret.encode() not in base64_readable(text)
    harness.destroy()
    assert harness.state_resources(":User") == []


def test_a_role_change_updates_in_place_and_another_email_replaces_the_user(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack("users", emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)
    harness.up()
    bob = harness.outputs()["bob_id"].value

    harness.set_config("bobEmail", auto.ConfigValue("BOB@example.COM"))
    harness.preview(expect_no_changes=True)  # the same address in other letters

    harness.set_config("bobRole", auto.ConfigValue("Admin"))
    since = last_seq(emulator)
    harness.up()
    assert harness.outputs()["bob_id"].value == bob, "a role change is an update in place"
    puts = [e for e in emulator.admin.journal(since=since) if e["method"] == "PUT"]
    assert [p["body"]["email"] for p in puts] == ["BOB@example.COM"] and len(puts[0]["body"]["role_ids"]) == 1
    assert len(emulator.admin.invitations()) == 2

    harness.set_config("bobEmail", auto.ConfigValue("robert@example.com"))
    harness.up()
    robert = harness.outputs()["bob_id"].value
    assert robert != bob, "another address is another user"
    invited = [i["email"] for i in emulator.admin.invitations()]
    assert invited[2:] == ["robert@example.com"]
    deletes = [e["path"] for e in emulator.admin.journal(since=since) if e["method"] == "DELETE"]
    assert deletes == [f"/api/organizations/{harness.outputs()['organization_id'].value}/users/{bob}"]
    harness.preview(expect_no_changes=True)


def test_roles_changed_behind_pulumis_back_are_found_by_refresh_and_put_back(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    harness = make_stack("users", emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)
    harness.up()
    outputs = harness.outputs()
    org, bob, member = (
        outputs["organization_id"].value,
        outputs["bob_id"].value,
        outputs["bob_role_ids"].value,
    )
    partner_api.put(
        f"/api/organizations/{org}/users/{bob}", json={"email": "bob@example.com", "role": "admin"}
    ).raise_for_status()

    harness.refresh()
    assert harness.preview().change_summary.get("update") == 1, "the drift shows as a change of bob"
    harness.up()
    assert harness.outputs()["bob_role_ids"].value == member, "the declared role is back"
    harness.preview(expect_no_changes=True)
    assert len(emulator.admin.invitations()) == 2


def test_the_plugins_user_converges_updates_in_place_and_imports_by_organization_and_email(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """The provider plugin's `polytomic:index:User` from a YAML program: an organization and its admin in
    one `up` (one invitation), a clean second preview, a role change as one PUT in place, then a user made
    outside Pulumi imported by `<organization id>/<email>` (any case) and declared with nothing to change."""
    harness = make_stack("plugin-users", emulator=emulator)
    harness.up()
    outputs = harness.outputs()
    org, jane = outputs["organizationId"].value, outputs["janeId"].value
    assert [(i["user_id"], i["email"]) for i in emulator.admin.invitations()] == [(jane, "jane@example.com")]
    [stored] = harness.state_resources("polytomic:index:User")
    assert stored["id"] == jane and stored["outputs"]["role"] == "admin"
    harness.preview(expect_no_changes=True)  # the mixed-case email and the role name diff clean

    harness.set_config("janeRole", auto.ConfigValue("Member"))
    since = last_seq(emulator)
    harness.up()
    assert harness.outputs()["janeId"].value == jane, "a role change is an update in place"
    listed = harness.outputs()["listed"].value  # getUsers, invoked before this run's PUT
    assert [(u["id"], u["email"], u["role"]) for u in listed] == [(jane, "jane@example.com", "admin")]
    writes = [(e["method"], e["path"]) for e in emulator.admin.journal(since=since) if e["method"] != "GET"]
    assert writes == [("PUT", f"/api/organizations/{org}/users/{jane}")]
    assert [u["role"] for u in [r["outputs"] for r in harness.state_resources("polytomic:index:User")]] == [
        "user"
    ]

    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": "bob@example.com"})
    bob = made.json()["data"]["id"]
    since = last_seq(emulator)
    harness.cli("import", "polytomic:index:User", "bob", f"{org}/BOB@Example.com", "--yes", "--protect=false")
    assert [e for e in emulator.admin.journal(since=since) if e["method"] != "GET"] == [], "import only reads"
    imported = {r["id"]: r for r in harness.state_resources("polytomic:index:User")}
    assert set(imported) == {jane, bob}, "stored under the user's own id"
    program = harness.work_dir / "Pulumi.yaml"
    declared = "  bob:\n    type: polytomic:index:User\n    properties:\n      organizationId: ${acme.id}\n"
    declared += "      email: Bob@Example.com\n"
    program.write_text(program.read_text().replace("variables:\n", f"{declared}variables:\n"))
    harness.preview(expect_no_changes=True)
    assert len(emulator.admin.invitations()) == 2, "one invitation per user, the imported one's included"


def test_the_plugins_import_option_adopts_a_user_by_organization_and_email_once(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """The `import` resource option takes the same `<organization id>/<email>`; left in the program after
    the first `up`, it changes nothing (the engine imports only a resource not yet in the stack)."""
    harness = make_stack("plugin-users", emulator=emulator)
    harness.up()
    org = harness.outputs()["organizationId"].value
    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": "bob@example.com"})
    bob = made.json()["data"]["id"]
    program = harness.work_dir / "Pulumi.yaml"
    declared = "  bob:\n    type: polytomic:index:User\n    properties:\n      organizationId: ${acme.id}\n"
    declared += f"      email: Bob@Example.com\n    options:\n      import: {org}/BOB@example.com\n"
    program.write_text(program.read_text().replace("variables:\n", f"{declared}variables:\n"))
    since = last_seq(emulator)
    harness.up()
    assert bob in {r["id"] for r in harness.state_resources("polytomic:index:User")}
    harness.preview(expect_no_changes=True)
    harness.up()
    assert [e for e in emulator.admin.journal(since=since) if e["method"] != "GET"] == []
    assert len(emulator.admin.invitations()) == 2
