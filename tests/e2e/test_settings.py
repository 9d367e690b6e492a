"""Strict settings: a `polytomic:*` stack config key or a provider input that is not a setting (a typo, the
wrong case) fails `preview`, naming it and the closest setting, before any request. Ignoring it would leave
that setting at its default: a misspelt deploymentUrl sends the partner key to the production URL."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.front_ends import FrontEnd
from tests.pulumi_harness import StackFactory
from tests.support import PARTNER_KEY

pytestmark = pytest.mark.e2e


MISSPELT = {"deploymentURL": "deploymentUrl", "apiUrl": "deploymentUrl", "partnerkey": "partnerKey"}


def test_an_unknown_stack_setting_fails_preview_naming_it_and_the_closest(
    front_end: FrontEnd, make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """Three misspelt settings in one stack: each is named with the setting meant, in one failed preview."""
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations([{"resource": "strict", "name": "Strict Org"}])
    for key in MISSPELT:
        harness.set_config(f"polytomic:{key}", auto.ConfigValue("http://127.0.0.1:9", secret=True))

    with pytest.raises(auto.CommandError) as failure:
        harness.preview()

    message = str(failure.value)
    for key, closest in MISSPELT.items():
        named = f"polytomic:{key} is not a setting of the Polytomic provider"
        line = next((line for line in message.splitlines() if named in line), "")
        assert f"did you mean polytomic:{closest}?" in line, message
    assert "http://127.0.0.1:9" not in message, "a value is never shown, only names"
    assert PARTNER_KEY not in message
    assert emulator.admin.journal() == [], "preview fails before any request"


def test_an_unknown_provider_input_fails_preview_naming_it(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """An explicit provider resource with `deploymentURL` (the wrong case): its URL would be the default."""
    harness = make_stack("plugin-two-accounts", partner_key=None)
    program = harness.work_dir / "Pulumi.yaml"
    text = program.read_text()
    program.write_text(text.replace("deploymentUrl: ${secondUrl}", "deploymentURL: ${secondUrl}"))
    for prefix in ("first", "second"):
        harness.set_config(f"{prefix}Url", auto.ConfigValue(emulator.url))
        harness.set_secret(f"{prefix}Key", PARTNER_KEY)

    with pytest.raises(auto.CommandError) as failure:
        harness.preview()

    message = str(failure.value)
    assert "deploymentURL" in message and "deploymentUrl" in message, message
    assert PARTNER_KEY not in message
    assert emulator.admin.journal() == []
