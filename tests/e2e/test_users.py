"""Users of an organization with the real Pulumi CLI, beyond the onboarding of tests/e2e/test_onboarding.py
(two organizations and their users created, changed in place and by replacement, adopted, imported and
destroyed, with either front end): roles changed behind Pulumi's back, found by `refresh` and put back, and
the plugin's `import` resource option."""

from __future__ import annotations

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_organization_lifecycle import last_seq
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
