"""The partner key and client_secret never appear in plain text in any artefact a user or CI keeps.

Every check searches the real artefact (exported state, the serialized provider, CLI output of failing
and succeeding runs, error messages, the emulator's journal) for the secret values themselves.
"""

from __future__ import annotations

import base64
import json
import pickle
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pulumi import automation as auto
from pulumi.dynamic.dynamic import serialize_provider

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import Unprocessable
from polytomic_provider.models import OrganizationSpec
from polytomic_provider.provider import OrganizationProvider
from tests.local_server import Answer, Received, local_server
from tests.pulumi_harness import StackFactory, StackHarness
from tests.support import CLIENT_SECRET, PARTNER_KEY, base64_readable

SECRETS = {"client_secret": CLIENT_SECRET, "partner key": PARTNER_KEY}
OIDC_ORG = {
    "resource": "acme",
    "name": "Acme",
    "client_id": "acme-client",
    "issuer": "https://login.acme.example.com",
    "sso_domain": "acme.example.com",
}


def assert_clean(what: str, text: str) -> None:
    for name, value in SECRETS.items():
        assert value not in text, f"the {name} appears in plain text in {what}"


@pytest.fixture
def deployed(make_stack: StackFactory, emulator: EmulatorProcess) -> StackHarness:
    harness = make_stack(emulator=emulator)
    harness.set_organizations([OIDC_ORG])
    harness.set_secret("clientSecret-acme", CLIENT_SECRET)
    harness.up()
    return harness


@pytest.mark.e2e
@pytest.mark.parametrize(("status", "times"), [(422, 1), (500, 10), (403, 1)])
def test_failing_runs_keep_secrets_out_of_errors_and_tracebacks(
    deployed: StackHarness, emulator: EmulatorProcess, status: int, times: int
) -> None:
    """An update whose PUT (carrying the secret) fails: the CLI's error output and traceback stay clean."""
    deployed.set_organizations([{**OIDC_ORG, "sso_domain": "changed.example.com"}])
    emulator.admin.set_faults(fail_next=times, fail_status=status, methods=["PUT"])
    with pytest.raises(auto.CommandError) as failure:
        deployed.up()
    message = str(failure.value)
    assert f"HTTP {status}" in message and "Traceback" in message
    assert_clean(f"the output of a run failing with HTTP {status}", message + "\n".join(deployed.output))
    assert_clean("the exported state", deployed.exported_state())


@pytest.mark.e2e
def test_state_provider_and_outputs_of_every_command_are_clean(
    deployed: StackHarness, emulator: EmulatorProcess
) -> None:
    deployed.set_organizations([{**OIDC_ORG, "sso_domain": "changed.example.com"}])
    deployed.preview(diff=True)
    deployed.up(diff=True)
    deployed.refresh()
    deployed.cli("stack", "output")
    deployed.destroy()

    assert_clean(
        "CLI output of preview --diff, up --diff, refresh, stack output, destroy", "\n".join(deployed.output)
    )
    assert_clean("the emulator's journal", json.dumps(emulator.admin.journal()))
    assert_clean("the exported state", deployed.exported_state())


@pytest.mark.e2e
def test_serialized_provider_holds_nothing(deployed: StackHarness) -> None:
    [resource] = deployed.state_resources()
    serialized = resource["inputs"]["__provider"]
    assert isinstance(serialized, str), "the provider is not a secret because it captures nothing"
    raw = base64.b64decode(serialized)
    assert len(raw) < 1024
    assert_clean("the serialized provider", raw.decode("latin-1"))
    assert pickle.loads(raw).__dict__ == {}


def test_serialized_provider_is_small_and_stable() -> None:
    one, two = serialize_provider(OrganizationProvider()), serialize_provider(OrganizationProvider())
    assert one == two and len(one) < 1024


def test_secret_values_do_not_print_or_pickle() -> None:
    settings = Settings(partner_key=Secret(PARTNER_KEY))
    spec = OrganizationSpec(
        name="a", client_id="c", client_secret=CLIENT_SECRET, issuer="https://i.example.com"
    )
    assert_clean("repr of settings and spec", repr(settings) + str(settings) + repr(spec))
    with pytest.raises(TypeError):
        pickle.dumps(settings)


def test_api_errors_that_echo_the_payload_are_scrubbed() -> None:
    """A careless API that echoes the request (and the key) in its error message."""

    def echo(request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content)
        message = f"invalid organization {body} sent with {request.headers['authorization']}"
        return httpx.Response(422, json={"key": "invalid", "message": message, "status": 422})

    client = PolytomicClient(
        Settings(partner_key=Secret(PARTNER_KEY), deployment_url="https://api.test"),
        transport=httpx.MockTransport(echo),
    )
    spec = OrganizationSpec(
        name="a", client_id="c", client_secret=CLIENT_SECRET, issuer="https://i.example.com"
    )
    with pytest.raises(Unprocessable) as failure:
        client.create_organization(spec)
    assert "invalid organization" in str(failure.value)
    assert_clean("the error message", str(failure.value) + repr(failure.value.args))


def test_serializing_the_provider_thousands_of_times_works() -> None:
    """One program may declare thousands of organizations: each one serializes the provider."""
    sizes = {len(serialize_provider(OrganizationProvider())) for _ in range(3000)}
    assert len(sizes) == 1


def echoing_api(request: Received) -> Answer:
    """A careless API: rejects every write, quoting the request back JSON-escaped (so the secret inside it
    is escaped twice), percent-encoded (as a proxy might log it), raw and in base64, and the credential
    with it, also as a base64 reference (#27, point 1)."""
    if request.method in ("POST", "PUT"):
        sent = request.body.decode()
        credential = request.headers["Authorization"]
        reference = base64.b64encode(credential.encode()).decode()
        echoed = (
            f"invalid organization {json.dumps(sent)} ({quote(sent)}; {sent}; "
            f"{base64.urlsafe_b64encode(request.body).decode()}) from {credential} (ref {reference})"
        )
        return 422, {"key": f"invalid: {json.dumps(sent)}", "message": echoed, "status": 422}
    if request.path == "/api/organization":  # the caller's own (the partner account's owner organization)
        return 200, {"data": {"id": "5f0c2d4e-0000-4000-8000-000000000001", "name": "Careless Partner"}}
    return 404, {"key": "not_found", "message": "organization not found", "status": 404}


@pytest.mark.e2e
def test_a_secret_echoed_escaped_or_in_base64_by_the_api_never_reaches_the_cli(
    make_stack: StackFactory,
) -> None:
    """A secret with a quote and a backslash, echoed back escaped. The Pulumi CLI masks a config secret's
    raw and JSON-escaped forms by itself, not one escaped twice or percent-encoded: those we must catch."""
    secret = f'Plain"Quoted\\Secret-{CLIENT_SECRET}'
    with local_server(echoing_api) as (url, received):
        harness = make_stack()
        harness.set_config("polytomic:deploymentUrl", auto.ConfigValue(url))
        harness.set_organizations([OIDC_ORG])
        harness.set_secret("clientSecret-acme", secret)
        with pytest.raises(auto.CommandError) as failure:
            harness.up()
    output = str(failure.value) + "\n".join(harness.output)
    escaped = json.dumps(secret)[1:-1]
    assert any(escaped.encode() in r.body for r in received if r.method == "POST"), "the secret was not sent"
    assert "invalid organization" in output and "HTTP 422" in output  # the echo did reach the CLI
    # Every form contains the random part of CLIENT_SECRET (and "Plain"), so these cover them all.
    for text in (CLIENT_SECRET, "Plain", PARTNER_KEY):
        assert text not in output, f"{text!r} appears in the CLI output"
        assert text.encode() not in base64_readable(output), f"{text!r} appears in base64 in the CLI output"
    assert_clean("the exported state", harness.exported_state())
