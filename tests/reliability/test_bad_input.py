"""Bad input fails in `check`, naming the property (or the provider setting) and the fix, before any
request reaches the API; a provider setting is never echoed, since it may carry a credential."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.provider.experimental import provider as rpc

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import TransportError
from polytomic_provider.fields import FIELDS, SECRET_FIELDS
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from tests.local_server import local_server
from tests.pulumi_harness import StackFactory
from tests.support import CLIENT_SECRET, PARTNER_KEY

OIDC = {"client_id": "cid", "client_secret": CLIENT_SECRET, "issuer": "https://idp.example.com"}

# (case id, inputs, property that must be named, a word of the fix that must appear)
BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty name", {"name": ""}, "name", "name"),
    ("whitespace name", {"name": "   "}, "name", "whitespace"),
    ("10,000-character name", {"name": "a" * 10_000}, "name", "limit"),
    ("256-character name", {"name": "a" * 256}, "name", "shorten"),
    ("newline in name", {"name": "bad\nname"}, "name", "control"),
    ("tab in name", {"name": "bad\tname"}, "name", "control"),
    ("escape sequence in name", {"name": "\x1b[31mred"}, "name", "control"),
    ("zero-width space in name", {"name": "a\u200bb"}, "name", "control"),
    ("leading space in name", {"name": " acme"}, "name", "whitespace"),
    ("trailing space in name", {"name": "acme "}, "name", "whitespace"),
    ("name is a number", {"name": 5}, "name", "string"),
    ("name is a list", {"name": ["acme"]}, "name", "string"),
    ("name missing", {"sso_domain": "example.com"}, "name", "required"),
    ("http issuer", {"name": "a", **OIDC, "issuer": "http://idp.example.com"}, "issuer", "https"),
    ("issuer without scheme", {"name": "a", **OIDC, "issuer": "idp.example.com"}, "issuer", "https"),
    ("issuer without host", {"name": "a", **OIDC, "issuer": "https://"}, "issuer", "https"),
    ("issuer with a space", {"name": "a", **OIDC, "issuer": "https://idp example.com"}, "issuer", "https"),
    ("ftp issuer", {"name": "a", **OIDC, "issuer": "ftp://idp.example.com"}, "issuer", "https"),
    ("domain with a space", {"name": "a", "sso_domain": "not a domain"}, "sso_domain", "example.com"),
    ("domain given as URL", {"name": "a", "sso_domain": "https://example.com"}, "sso_domain", "bare"),
    ("domain given as address", {"name": "a", "sso_domain": "it@example.com"}, "sso_domain", "bare"),
    ("domain with leading hyphen", {"name": "a", "sso_domain": "-bad.example.com"}, "sso_domain", "domain"),
    ("domain without a dot", {"name": "a", "sso_domain": "localhost"}, "sso_domain", "domain"),
    ("domain with underscore", {"name": "a", "sso_domain": "ex_ample.com"}, "sso_domain", "domain"),
    ("domain is a number", {"name": "a", "sso_domain": 42}, "sso_domain", "string"),
    ("sso_org_id with a space", {"name": "a", "sso_org_id": "org 1"}, "sso_org_id", "spaces"),
    ("sso_org_id is a boolean", {"name": "a", "sso_org_id": True}, "sso_org_id", "string"),
    ("secret without client id", {"name": "a", "client_secret": CLIENT_SECRET}, "client_id", "client_id"),
    ("client id without secret", {"name": "a", "client_id": "cid", "issuer": "https://idp.example.com"},
     "client_secret", "client_secret"),
    ("client id alone", {"name": "a", "client_id": "cid"}, "client_secret", "OIDC"),
    ("empty client id", {"name": "a", **OIDC, "client_id": ""}, "client_id", "empty"),
    ("secret with a newline", {"name": "a", **OIDC, "client_secret": CLIENT_SECRET + "\n"}, "client_secret",
     "control"),
    ("unknown property", {"name": "a", "colour": "red"}, "colour", "not a property"),
    ("camelCase typo", {"name": "a", "ssoDomain": "example.com"}, "ssoDomain", "sso_domain"),
    ("empty adopt_id", {"name": "a", "adopt_id": ""}, "adopt_id", "existing organization"),
]  # fmt: skip


# (case id, stack config under polytomic:, setting that must be named, a word of the fix that must appear).
# No reason may show "hunter2" (a stand-in password) or the partner key.
BAD_SETTINGS: list[tuple[str, dict[str, str], str, str]] = [
    ("URL with user and password", {"deploymentUrl": "https://admin:hunter2@{host}"}, "deploymentUrl",
     "user name or password"),
    ("URL with user only", {"deploymentUrl": "https://hunter2@{host}"}, "deploymentUrl", "user name"),
    ("URL with a query", {"deploymentUrl": "{url}/?token=hunter2"}, "deploymentUrl", "query"),
    ("URL with a fragment", {"deploymentUrl": "{url}#hunter2"}, "deploymentUrl", "fragment"),
    ("javascript: URL", {"deploymentUrl": "javascript:alert('hunter2')"}, "deploymentUrl", "https://"),
    ("ftp URL", {"deploymentUrl": "ftp://hunter2.example.com"}, "deploymentUrl", "https://"),
    ("unclosed IPv6 bracket", {"deploymentUrl": "https://[::1"}, "deploymentUrl", "not a valid URL"),
    ("port out of range", {"deploymentUrl": "https://hunter2.example.com:99999"}, "deploymentUrl",
     "port"),
    ("space in URL", {"deploymentUrl": "https://hunter2 example.com"}, "deploymentUrl", "spaces"),
    ("key with a line break", {"partnerKey": f"{PARTNER_KEY}\nX"}, "partnerKey", "copy the key again"),
    ("key with a space", {"partnerKey": f"Bearer {PARTNER_KEY}"}, "partnerKey", "copy the key again"),
    ("infinite maxAttempts", {"maxAttempts": "inf"}, "maxAttempts", "finite"),
    ("fractional maxAttempts", {"maxAttempts": "2.5"}, "maxAttempts", "whole number"),
    ("zero requestTimeout", {"requestTimeout": "0"}, "requestTimeout", "from 0.1"),
    ("NaN retryBudget", {"retryBudget": "nan"}, "retryBudget", "finite"),
    ("apiVersion not a date", {"apiVersion": "latest"}, "apiVersion", "date"),
]  # fmt: skip


@pytest.fixture
def provider(emulator: EmulatorProcess) -> Iterator[OrganizationProvider]:
    RUNTIME.configure(Settings(partner_key=Secret(PARTNER_KEY), deployment_url=emulator.url))
    yield OrganizationProvider()
    RUNTIME.configure(Settings(partner_key=None))


def test_the_matrices_have_at_least_thirty_and_fifteen_cases() -> None:
    assert len(BAD_INPUTS) >= 30 and len(BAD_SETTINGS) >= 15


@pytest.mark.parametrize(
    ("inputs", "prop", "fix"), [c[1:] for c in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_fails_in_check_without_a_request(
    provider: OrganizationProvider, emulator: EmulatorProcess, inputs: dict[str, Any], prop: str, fix: str
) -> None:
    failures = provider.check({}, dict(inputs)).failures
    by_property = {f.property: f.reason for f in failures}
    assert prop in by_property, f"no failure names {prop!r}: {by_property}"
    assert fix.lower() in by_property[prop].lower()
    assert all(CLIENT_SECRET not in f.reason for f in failures), "a failure echoed the secret"
    assert emulator.admin.journal() == []


@pytest.mark.parametrize(
    ("config", "setting", "fix"), [c[1:] for c in BAD_SETTINGS], ids=[c[0] for c in BAD_SETTINGS]
)
def test_bad_settings_fail_in_check_naming_the_setting_without_a_request(
    emulator: EmulatorProcess, config: dict[str, str], setting: str, fix: str
) -> None:
    host = emulator.url.removeprefix("http://")
    raw = {"polytomic:deploymentUrl": emulator.url, "polytomic:partnerKey": PARTNER_KEY}
    raw |= {f"polytomic:{k}": v.format(url=emulator.url, host=host) for k, v in config.items()}
    provider = OrganizationProvider()
    try:
        provider.configure(ConfigureRequest(Config(raw, "project")))
        failures = provider.check({}, {"name": "Acme"}).failures
    finally:
        RUNTIME.configure(Settings(partner_key=None))
    by_property = {f.property: f.reason for f in failures}
    assert f"polytomic:{setting}" in by_property, f"no failure names polytomic:{setting}: {by_property}"
    assert fix.lower() in by_property[f"polytomic:{setting}"].lower()
    for reason in by_property.values():
        assert "hunter2" not in reason and PARTNER_KEY not in reason
    assert emulator.admin.journal() == []


def test_https_in_front_of_a_plain_http_server_fails_at_once_saying_tls() -> None:
    with local_server(lambda request: (200, {"data": []})) as (url, _):
        settings = Settings(partner_key=Secret(PARTNER_KEY), deployment_url=url.replace("http:", "https:"))
        with PolytomicClient(settings) as client, pytest.raises(TransportError) as failure:
            client.list_organizations()
    message = str(failure.value)
    assert failure.value.attempts == 1, message
    assert "TLS" in message and "http://" in message and "polytomic:deploymentUrl" in message
    assert PARTNER_KEY not in message


@pytest.mark.e2e
def test_a_deployment_url_with_a_password_fails_preview_naming_the_setting(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack(emulator=emulator)
    host = emulator.url.removeprefix("http://")
    harness.set_config("polytomic:deploymentUrl", auto.ConfigValue(f"http://admin:hunter2@{host}"))
    harness.set_organizations([{"resource": "acme", "name": "Acme"}])
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()
    text = str(failure.value) + "\n".join(harness.output)
    assert "polytomic:deploymentUrl must not contain a user name or password" in text
    assert "hunter2" not in text and "Traceback" not in text
    assert emulator.admin.journal() == []


@pytest.mark.e2e
def test_bad_config_values_fail_preview_with_named_properties(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """Wrong types straight from stack config, through the real engine."""
    harness = make_stack(emulator=emulator)
    harness.set_organizations(
        [
            {
                "resource": "bad",
                "name": 12345,
                "sso_domain": "https://example.com",
                "issuer": "http://x.example",
            }
        ]
    )
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()
    text = str(failure.value)
    for expected in (
        "name must be a string, got a number",
        "sso_domain must be a bare email domain",
        "issuer must be an https",
    ):
        assert expected in text
    assert emulator.admin.journal() == []


# The plugin's users write camelCase properties, so the two cases about Python spelling do not apply there.
_PYTHON_ONLY = {"camelCase typo", "empty adopt_id"}


@pytest.mark.parametrize(
    "inputs", [c[1] for c in BAD_INPUTS if c[0] not in _PYTHON_ONLY],
    ids=[c[0] for c in BAD_INPUTS if c[0] not in _PYTHON_ONLY],
)  # fmt: skip
def test_the_plugin_gives_the_same_message_for_each_bad_input(
    provider: OrganizationProvider, emulator: EmulatorProcess, inputs: dict[str, Any]
) -> None:
    """One core: the plugin's failures are the dynamic provider's, each property spelled as in its schema."""
    from polytomic_provider.frontend import PLUGIN, camel_case
    from polytomic_provider.plugin.properties import engine_value
    from polytomic_provider.plugin.provider import PolytomicProvider
    from tests.provider.test_plugin_methods import configured, run

    plugin = configured(emulator.url)
    news = {camel_case(key): engine_value(value) for key, value in inputs.items()}
    request = rpc.CheckRequest("urn:pulumi:test::p::polytomic:index:Organization::acme", {}, news, b"")
    answer = run(PolytomicProvider.check(plugin, request))
    # Only a schema property that is no secret is named (the engine prints the value beside a named one,
    # and an input the schema does not have may be a secret under another spelling); the reason names it.
    expected = {
        (
            camel_case(f.property) if f.property in FIELDS and f.property not in SECRET_FIELDS else "",
            PLUGIN.spell(f.reason),
        )
        for f in provider.check({}, dict(inputs)).failures
    }
    assert {(f.property, f.reason) for f in answer.failures or []} == expected
    assert emulator.admin.journal() == []
