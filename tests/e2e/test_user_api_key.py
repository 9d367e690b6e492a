"""A user's API key with the real Pulumi CLI: minted once in the `up` that creates its organization and
user, a secret in outputs and state (never in plain `pulumi stack export` or anything printed), working as
an organization-scoped key, no change on the next preview or after a refresh, a rotation that revokes the
old key, and a destroy."""

from __future__ import annotations

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.pulumi_harness import StackFactory, StackHarness, _is_secret_value
from tests.support import PARTNER_KEY, base64_readable

pytestmark = pytest.mark.e2e


def organization_of(emulator: EmulatorProcess, key: str) -> httpx.Response:
    return httpx.get(f"{emulator.url}/api/organization", headers={"Authorization": f"Bearer {key}"})


def assert_nowhere(harness: StackHarness, *secrets: str) -> None:
    printed = "\n".join(harness.output)
    state = harness.exported_state()  # plain `pulumi stack export`, without --show-secrets
    for text in (printed, state):
        for secret in (PARTNER_KEY, *secrets):
            assert secret not in text
            assert secret.encode() not in base64_readable(text)


def test_a_minted_key_is_a_secret_works_for_its_organization_and_rotates(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack("user-api-key", emulator=emulator)
    harness.up()
    outputs = harness.outputs()
    assert outputs["key"].secret, "the key is a secret output"
    key, org = outputs["key"].value, outputs["organization_id"].value
    answer = organization_of(emulator, key)
    assert answer.status_code == 200 and answer.json()["data"]["id"] == org, "an org-scoped key of its org"
    (stored,) = harness.state_resources(":UserApiKey")
    assert _is_secret_value(stored["outputs"]["value"]), "kept encrypted in the state"
    assert_nowhere(harness, key)

    harness.preview(expect_no_changes=True)
    harness.refresh()  # the key cannot be read back: the state stays as it is, still a secret
    harness.preview(expect_no_changes=True)
    assert harness.outputs()["key"].value == key
    assert_nowhere(harness, key)

    harness.set_config("rotation", auto.ConfigValue("2"))
    harness.up()
    rotated = harness.outputs()["key"].value
    assert rotated != key
    assert organization_of(emulator, key).status_code == 401, "the rotation revoked the stack's old key"
    assert organization_of(emulator, rotated).status_code == 200
    harness.preview(expect_no_changes=True)
    assert_nowhere(harness, key, rotated)

    harness.destroy()
    assert harness.state_resources(":UserApiKey") == []
    assert organization_of(emulator, rotated).status_code == 401, "gone with its organization"


def test_the_plugins_key_is_minted_once_and_a_secret_in_outputs_state_and_output(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """The provider plugin's `polytomic:index:UserApiKey` from a YAML program: minted once, a secret in
    the outputs and in plain `pulumi stack export`, never printed, and no change on the next preview."""
    harness = make_stack("plugin-user-api-key", emulator=emulator)
    harness.up()
    outputs = harness.outputs()
    assert outputs["key"].secret, "the key is a secret output"
    key, org = outputs["key"].value, outputs["organizationId"].value
    answer = organization_of(emulator, key)
    assert answer.status_code == 200 and answer.json()["data"]["id"] == org
    (stored,) = harness.state_resources("polytomic:index:UserApiKey")
    assert _is_secret_value(stored["outputs"]["value"]), "kept encrypted in the state"
    mints = [e for e in emulator.admin.journal() if e["method"] == "POST" and "/keys" in e["path"]]
    assert len(mints) == 1
    harness.preview(expect_no_changes=True)
    assert_nowhere(harness, key)
