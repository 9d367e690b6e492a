"""The Organization resource under the real CLI, against the emulator on loopback."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.pulumi_harness import StackFactory, StackHarness
from tests.support import CLIENT_SECRET, PARTNER_KEY

pytestmark = pytest.mark.e2e

PLAIN = {"resource": "plain", "name": "Plain Org", "sso_domain": "plain.example.com"}
OIDC = {
    "resource": "oidc",
    "name": "OIDC Org",
    "sso_domain": "oidc.example.com",
    "issuer": "https://login.oidc.example.com",
    "client_id": "oidc-client",
    "sso_org_id": "org_123",
}


def children(emulator: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """The emulator's organizations other than the partner's owner, by name."""
    return {o["name"]: o for o in emulator.admin.organizations() if not o["is_owner"]}


def writes(emulator: EmulatorProcess, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal(since=since) if e["method"] in ("POST", "PUT", "DELETE")]


def last_seq(emulator: EmulatorProcess) -> int:
    entries = emulator.admin.journal()
    return entries[-1]["seq"] if entries else 0


@pytest.fixture
def deployed(make_stack: StackFactory, emulator: EmulatorProcess) -> StackHarness:
    """Two organizations, one with OIDC, deployed with `up`."""
    harness = make_stack(emulator=emulator)
    harness.set_organizations([PLAIN, OIDC])
    harness.set_secret("clientSecret-oidc", CLIENT_SECRET)
    harness.up()
    return harness


def test_preview_up_and_second_preview_show_no_changes(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack(emulator=emulator)
    harness.set_organizations([PLAIN, OIDC])
    harness.set_secret("clientSecret-oidc", CLIENT_SECRET)

    assert harness.preview().change_summary.get("create") == 3  # the stack and two organizations
    assert writes(emulator) == [], "preview must not write"

    up = harness.up()
    assert up.summary.result == "succeeded"
    orgs = children(emulator)
    assert set(orgs) == {"Plain Org", "OIDC Org"}
    assert orgs["OIDC Org"]["client_id"] == "oidc-client" and orgs["OIDC Org"]["has_client_secret"]
    assert up.outputs["oidc_id"].value == orgs["OIDC Org"]["id"]

    harness.preview(expect_no_changes=True)


def test_changing_one_field_sends_the_whole_payload(
    deployed: StackHarness, emulator: EmulatorProcess
) -> None:
    since = last_seq(emulator)
    deployed.set_organizations([PLAIN, {**OIDC, "sso_domain": "renamed.example.com"}])

    deployed.up()

    sent = writes(emulator, since)
    assert [(e["method"], e["status"]) for e in sent] == [("PUT", 200)]
    assert sent[0]["body"] == {
        "name": "OIDC Org",
        "sso_domain": "renamed.example.com",
        "issuer": "https://login.oidc.example.com",
        "client_id": "oidc-client",
        "client_secret": "<redacted>",  # sent (the journal redacts its value)
        "sso_org_id": "org_123",
    }
    assert children(emulator)["OIDC Org"]["sso_domain"] == "renamed.example.com"
    deployed.preview(expect_no_changes=True)


def test_removing_oidc_settings_clears_them_on_the_server(
    deployed: StackHarness, emulator: EmulatorProcess
) -> None:
    since = last_seq(emulator)
    without_oidc = {k: v for k, v in OIDC.items() if k not in ("issuer", "client_id")}
    deployed.set_organizations([PLAIN, without_oidc])
    deployed.remove_config("clientSecret-oidc")

    deployed.up()

    sent = writes(emulator, since)
    assert [e["method"] for e in sent] == ["PUT"]
    assert set(sent[0]["body"]) == {"name", "sso_domain", "sso_org_id"}
    record = children(emulator)["OIDC Org"]
    assert record["issuer"] is None and record["client_id"] is None and not record["has_client_secret"]
    deployed.preview(expect_no_changes=True)


def test_drift_rename_is_found_by_refresh_and_undone_by_up(
    deployed: StackHarness, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    org_id = children(emulator)["Plain Org"]["id"]
    partner_api.put(f"/api/organizations/{org_id}", json={"name": "Renamed By Hand"}).raise_for_status()

    deployed.refresh()
    state = {r["outputs"]["name"] for r in deployed.state_resources()}
    assert "Renamed By Hand" in state
    assert deployed.preview().change_summary.get("update") == 1

    deployed.up()
    restored = children(emulator)
    assert restored["Plain Org"]["id"] == org_id
    assert restored["Plain Org"]["sso_domain"] == "plain.example.com"
    deployed.preview(expect_no_changes=True)


def test_drift_delete_drops_from_state_and_up_recreates(
    deployed: StackHarness, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    old_id = children(emulator)["Plain Org"]["id"]
    partner_api.delete(f"/api/organizations/{old_id}").raise_for_status()

    deployed.refresh()
    assert [r["outputs"]["name"] for r in deployed.state_resources()] == ["OIDC Org"]

    deployed.up()
    recreated = children(emulator)["Plain Org"]
    assert recreated["id"] != old_id
    deployed.preview(expect_no_changes=True)


def test_destroy_deletes_every_organization(deployed: StackHarness, emulator: EmulatorProcess) -> None:
    deployed.destroy()
    assert children(emulator) == {}
    assert deployed.state_resources() == []


def test_secrets_stay_out_of_state_and_cli_output(deployed: StackHarness, emulator: EmulatorProcess) -> None:
    deployed.set_organizations([PLAIN, {**OIDC, "sso_domain": "changed.example.com"}])
    deployed.set_secret("clientSecret-oidc", CLIENT_SECRET + "-rotated")  # the diff shows it, masked
    deployed.preview(diff=True)
    deployed.up(diff=True)
    deployed.refresh()

    artefacts = {
        "stack export": deployed.exported_state(),
        "CLI output": "\n".join(deployed.output),
        "stack config file": "\n".join(p.read_text() for p in deployed.work_dir.glob("Pulumi.*.yaml")),
        "emulator journal": str(emulator.admin.journal()),
    }
    assert "[secret]" in artefacts["CLI output"], "the diff should show the secret as [secret]"
    for what, text in artefacts.items():
        assert CLIENT_SECRET not in text, f"client_secret leaked into {what}"
        assert PARTNER_KEY not in text, f"partner key leaked into {what}"


def test_changing_only_the_secret_updates(deployed: StackHarness, emulator: EmulatorProcess) -> None:
    since = last_seq(emulator)
    deployed.set_secret("clientSecret-oidc", CLIENT_SECRET + "-rotated")
    assert deployed.preview().change_summary.get("update") == 1
    deployed.up()
    assert [e["method"] for e in writes(emulator, since)] == ["PUT"]


def test_missing_partner_key_fails_before_any_request(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack(emulator=emulator, partner_key=None)
    harness.set_organizations([PLAIN])
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()
    assert "polytomic:partnerKey" in str(failure.value)
    assert "POLYTOMIC_PARTNER_KEY" in str(failure.value)
    assert emulator.admin.journal() == []
