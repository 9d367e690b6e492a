"""The UserApiKey's rules without an API: the property definitions, the request the client builds, the
mint's answers that are not a key (never shown), a lost answer, and the pickled provider."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from polytomic_provider import bridge
from polytomic_provider.claims import ThisOperation
from polytomic_provider.client import AsyncPolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import UnexpectedAnswer
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.user_api_key_fields import (
    API_KEY_INPUTS,
    API_KEY_OUTPUTS,
    REPLACING_INPUTS,
    SECRET_OUTPUTS,
)
from polytomic_provider.user_api_key_operations import UserApiKeyError, create

ORG = "248df4b7-aa70-47b8-a036-33ac447e668d"
USER = "5a0c0b7e-7b1e-4f35-9d7e-0a0e0c6f8a11"
KEY = "pk_unit_" + "ab" * 24
PARTNER = "pk-unit-0123456789abcdef"


def client_for(
    mint: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]
) -> AsyncPolytomicClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/organization":
            return httpx.Response(200, json={"data": {"id": ORG, "name": "Owner"}})
        return mint(request)

    settings = Settings(partner_key=Secret(PARTNER), deployment_url="https://api.test", max_attempts=1)
    return AsyncPolytomicClient(settings, transport=httpx.MockTransport(answer))


def test_the_definitions_a_schema_reads() -> None:
    assert API_KEY_INPUTS == ("organization_id", "user_id", "keepers", "force")
    assert API_KEY_OUTPUTS == ("organization_id", "user_id", "keepers", "force", "value")
    assert REPLACING_INPUTS == ("organization_id", "user_id", "keepers")
    assert SECRET_OUTPUTS == ("value",)


def test_the_mint_request_and_its_key_wrapped() -> None:
    seen: list[httpx.Request] = []
    client = client_for(lambda _: httpx.Response(200, json={"data": {"value": KEY}}), seen)
    minted = bridge.run(client.mint_user_api_key(ORG, USER, force=True, idempotency_key="pulumi-create-abc"))
    assert minted.reveal() == KEY and KEY not in repr(minted) and KEY not in str(minted)
    (request,) = seen
    assert request.method == "POST" and request.url.path == f"/api/organizations/{ORG}/users/{USER}/keys"
    assert request.url.query == b"force=true" and request.content == b""
    assert request.headers["idempotency-key"] == "pulumi-create-abc"
    bridge.run(client.aclose())


@pytest.mark.parametrize(
    "body", [{"data": {"value": ""}}, {"data": {"key": KEY}}, {"value": KEY}, {"data": {"value": [KEY]}}]
)
def test_an_answer_that_is_not_a_key_is_never_shown(body: object) -> None:
    client = client_for(lambda _: httpx.Response(200, json=body), [])
    with pytest.raises(UnexpectedAnswer) as failure:
        bridge.run(client.mint_user_api_key(ORG, USER, force=False))
    assert KEY not in str(failure.value)
    bridge.run(client.aclose())


def test_a_lost_answer_stops_and_says_the_next_up_mints_another() -> None:
    def gone(_: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"key": "api_key_not_replayable", "message": "shown once"})

    client = client_for(gone, [])
    props = {"organization_id": ORG, "user_id": USER, CREATE_KEY: "pulumi-create-lost"}
    with pytest.raises(UserApiKeyError) as failure:
        bridge.run(create(client, props, operation=ThisOperation()))
    assert "run 'pulumi up' again" in str(failure.value)
    bridge.run(client.aclose())


def test_the_serialized_provider_is_a_small_reference_holding_nothing() -> None:
    """Pickled into every key's state by reference (a contract, like the other providers')."""
    import pickle

    from pulumi.dynamic.dynamic import serialize_provider

    from polytomic_provider.user_api_key_provider import UserApiKeyProvider

    one, two = serialize_provider(UserApiKeyProvider()), serialize_provider(UserApiKeyProvider())
    assert one == two and len(one) < 1024
    assert pickle.loads(base64.b64decode(one)).__dict__ == {}
