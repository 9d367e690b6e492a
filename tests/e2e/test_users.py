"""Users of an organization with the real Pulumi CLI, beyond the onboarding of tests/e2e/test_onboarding.py
(two organizations and their users created, changed in place and by replacement, adopted, imported and
destroyed, with either front end): roles changed behind Pulumi's back, found by `refresh` and put back, and
the plugin's `import` resource option; two resources come to hold one user, and one is removed."""

from __future__ import annotations

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_onboarding import plain_outputs, users_in_state, writes
from tests.e2e.test_organization_lifecycle import last_seq
from tests.front_ends import FrontEnd
from tests.pulumi_harness import StackFactory
from tests.support import CLIENT_SECRET

pytestmark = pytest.mark.e2e


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


def test_removing_a_second_resource_holding_a_user_leaves_the_user_to_the_first(
    front_end: FrontEnd, make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """A run that diffs no holder (an `up --target` adoption, a CLI `pulumi import` under another name)
    lets a second resource hold jane's user; the next `up` without it diffs jane (kept) and only drops the
    second resource from the stack: the user stays, and jane previews clean, bookkeeping hidden."""
    harness = make_stack(front_end.onboarding_program, emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)
    harness.up()
    outputs = plain_outputs(harness)
    acme, jane = outputs["acmeId"], outputs["janeId"]
    twin = {"resource": "twin", "organization": "acme", "email": "Jane@Acme.example.com"}
    front_end.twin_user(harness, twin, acme, jane)
    assert users_in_state(harness)["twin"]["id"] == jane
    front_end.drop_user(harness, twin)
    since = last_seq(emulator)
    done = harness.up()
    assert "twin" not in users_in_state(harness)
    assert partner_api.get(f"/api/organizations/{acme}/users/{jane}").status_code == 200
    assert writes(emulator, since) == [], "nothing deleted"
    assert "not deleted: another resource of this stack holds this user" in done.stdout + done.stderr
    assert "__create_key" not in harness.preview(diff=True, expect_no_changes=True).stdout
