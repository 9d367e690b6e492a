"""Credential problems give one actionable line naming the setting to fix, and touch no organization."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.pulumi_harness import StackFactory
from tests.support import API_KEY

pytestmark = pytest.mark.e2e

ORG = [{"resource": "acme", "name": "Acme"}]


def final_error_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if "OrganizationError:" in line)


def test_no_key_configured(make_stack: StackFactory, emulator: EmulatorProcess) -> None:
    harness = make_stack(emulator=emulator, partner_key=None)
    harness.set_organizations(ORG)
    with pytest.raises(auto.CommandError) as failure:
        harness.up()
    text = str(failure.value)
    assert "pulumi config set --secret polytomic:partnerKey" in text and "POLYTOMIC_PARTNER_KEY" in text
    assert emulator.admin.journal() == []


def test_key_from_the_environment_is_used(make_stack: StackFactory, emulator: EmulatorProcess) -> None:
    from tests.support import PARTNER_KEY

    harness = make_stack(
        emulator=emulator, partner_key=None, extra_env={"POLYTOMIC_PARTNER_KEY": PARTNER_KEY}
    )
    harness.set_organizations(ORG)
    harness.up()
    assert [o["name"] for o in emulator.admin.organizations() if not o["is_owner"]] == ["Acme"]


def test_wrong_key_is_rejected_with_the_setting_to_check(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack(emulator=emulator, partner_key="not-the-partner-key")
    harness.set_organizations(ORG)
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()  # check looks up the key's account: a wrong key stops the preview already
    text = str(failure.value)
    assert "HTTP 401" in text and "polytomic:partnerKey" in text and "POLYTOMIC_PARTNER_KEY" in text
    assert "not-the-partner-key" not in str(failure.value)
    assert [o for o in emulator.admin.organizations() if not o["is_owner"]] == []


@pytest.mark.api_key
def test_an_organization_api_key_is_refused_with_the_reason(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack(emulator=emulator, partner_key=API_KEY)
    harness.set_organizations(ORG)
    with pytest.raises(auto.CommandError) as failure:
        harness.up()
    line = final_error_line(str(failure.value))
    assert "HTTP 403" in line and "partner key" in line and "polytomic:partnerKey" in line
    assert API_KEY not in str(failure.value)
    assert [o["name"] for o in emulator.admin.organizations() if not o["is_owner"]] == [
        "Emulator API Key Organization 1"
    ]


def test_a_key_with_a_line_break_fails_check_without_echo_or_request(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """A key pasted with its line break: h11 would refuse the header and print the key in a bytes repr."""
    from tests.support import PARTNER_KEY

    harness = make_stack(emulator=emulator, partner_key=f"{PARTNER_KEY}\nX")
    harness.set_organizations(ORG)
    with pytest.raises(auto.CommandError) as failure:
        harness.up()
    text = str(failure.value) + "\n".join(harness.output)
    assert "polytomic:partnerKey" in text and "copy the key again" in text
    assert PARTNER_KEY not in text
    assert emulator.admin.journal() == []
