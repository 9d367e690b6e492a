"""The User's rules without an API: validation wording, the diff rule, and the requests the client builds."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from pulumi.output import Unknown

from polytomic_provider import bridge
from polytomic_provider.client import AsyncPolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import ServerError
from polytomic_provider.user_models import UserSpec, validate_user_inputs
from polytomic_provider.user_operations import diff

ORG = "248df4b7-aa70-47b8-a036-33ac447e668d"
ADMIN = "5a0c0b7e-7b1e-4f35-9d7e-0a0e0c6f8a11"
MEMBER = "6b1d1c8f-8c2f-4a46-8e8f-1b1f1d7a9b22"
STORED: dict[str, Any] = {"organization_id": ORG, "email": "jane@example.com", "role_ids": [ADMIN]}


def unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


@pytest.mark.parametrize(
    ("news", "changed", "replaces"),
    [
        ({"email": "Jane@Example.COM", "__role_ids": [ADMIN]}, [], []),
        ({"email": "jane@example.com", "role_ids": [ADMIN.upper()]}, [], []),
        ({"email": "joan@example.com", "__role_ids": [ADMIN]}, ["email"], ["email"]),
        ({"email": "jane@example.com", "role": "Member", "__role_ids": [MEMBER]}, ["role"], []),
        ({"email": "jane@example.com", "role_ids": [MEMBER, ADMIN]}, ["role_ids"], []),
        ({"email": Unknown(), "__role_ids": [ADMIN]}, ["email"], ["email"]),
        ({"email": "jane@example.com", "role": "Member"}, ["role"], []),  # not resolved yet: a change
    ],
)
def test_the_diff_rule(news: dict[str, Any], changed: list[str], replaces: list[str]) -> None:
    assert diff(STORED, {"organization_id": ORG, **news}, unknown=unknown) == (changed, replaces)


def test_another_organization_replaces() -> None:
    news = {"organization_id": MEMBER, "email": "jane@example.com", "__role_ids": [ADMIN]}
    assert diff(STORED, news, unknown=unknown)[1] == ["organization_id"]


def test_validation_never_repeats_the_email() -> None:
    problems = validate_user_inputs({"organization_id": ORG, "email": "private person@example.com"})
    assert [p.property for p in problems] == ["email"]
    assert "private person" not in problems[0].reason


def test_the_roles_list_goes_as_the_organization_and_a_failure_never_shows_the_key() -> None:
    """Basic base64(org:key) reaches only the roles list; the server's echo of it is scrubbed."""
    key = "pk-unit-0123456789abcdef"
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500, json={"message": f"bad credential {request.headers['authorization']}"})

    settings = Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1)
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(echo))
    with pytest.raises(ServerError) as failure:
        bridge.run(client.list_roles(ORG))
    token = base64.b64encode(f"{ORG}:{key}".encode()).decode()
    assert seen[0].headers["authorization"] == f"Basic {token}"
    assert key not in str(failure.value) and token not in str(failure.value)
    bridge.run(client.aclose())


def test_the_payload_is_whole() -> None:
    assert UserSpec(email="Jane@example.com", role_ids=[ADMIN]).payload() == {
        "email": "Jane@example.com",
        "role_ids": [ADMIN],
    }


def test_the_serialized_user_provider_is_a_small_reference_holding_nothing() -> None:
    """Pickled into every user's state by reference, like OrganizationProvider (docs/upgrades.md)."""
    import pickle

    from pulumi.dynamic.dynamic import serialize_provider

    from polytomic_provider.user_provider import UserProvider

    one, two = serialize_provider(UserProvider()), serialize_provider(UserProvider())
    assert one == two and len(one) < 1024
    assert pickle.loads(base64.b64decode(one)).__dict__ == {}


def test_concurrent_resolutions_share_one_roles_list_and_a_failure_is_not_kept() -> None:
    from polytomic_provider.user_roles import resolve_role

    answers = [httpx.Response(503, json={"message": "down"})]
    seen: list[str] = []

    def roles(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if answers:
            return answers.pop()
        return httpx.Response(
            200, json={"data": [{"id": ADMIN, "name": "Admin"}, {"id": MEMBER, "name": "Member"}]}
        )

    settings = Settings(
        partner_key=Secret("pk-unit-roles-0123"), deployment_url="https://api.test", max_attempts=1
    )
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(roles))
    with pytest.raises(ServerError):
        bridge.run(resolve_role(client, ORG, "admin"))

    async def both() -> list[list[str]]:
        return list(
            await asyncio.gather(resolve_role(client, ORG, "ADMIN"), resolve_role(client, ORG, "member"))
        )

    assert bridge.run(both()) == [[ADMIN], [MEMBER]]
    assert len(seen) == 2, "one failed list, then one list for both"
    bridge.run(client.aclose())


def test_point_1_role_names_and_ids_from_the_server_are_scrubbed_in_role_problems() -> None:
    """Review #27 hardening finding 3: RoleNotFound carried a role name echoing the credential."""
    from polytomic_provider.user_roles import RoleNotFound, check_role_ids, resolve_role

    key = "pk-unit-roles-echo-0123456789"

    def roles(request: httpx.Request) -> httpx.Response:
        echoed = base64.b64decode(request.headers["authorization"].split()[1]).decode()
        return httpx.Response(200, json={"data": [{"id": ADMIN, "name": f"Admin (you sent {echoed})"}]})

    settings = Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1)
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(roles))
    with pytest.raises(RoleNotFound) as by_name:
        bridge.run(resolve_role(client, ORG, "Member"))
    with pytest.raises(RoleNotFound) as by_id:
        bridge.run(check_role_ids(client, ORG, [MEMBER]))
    for failure in (by_name, by_id):
        assert key not in str(failure.value) and "[secret]" in str(failure.value)
    bridge.run(client.aclose())


def test_point_1_the_adopted_users_email_from_the_server_is_scrubbed() -> None:
    """Review #27 hardening finding 3: `_adopt` echoed the live user's email unscrubbed."""
    from polytomic_provider.user_operations import UserError, _adopt

    key = "pk-unit-adopt-echo-0123456789"

    def user(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"data": {"id": MEMBER, "email": f"{key}@example.com", "organization_id": ORG}}
        )

    settings = Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1)
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(user))
    with pytest.raises(UserError) as failure:
        bridge.run(_adopt(client, ORG, MEMBER, UserSpec(email="jane@example.com", role_ids=[ADMIN]), "u"))
    assert key not in str(failure.value)
    bridge.run(client.aclose())


@pytest.mark.parametrize("email", ["jane@example.com\n", "jane@example.com\r\n"])
def test_point_2_an_email_with_a_trailing_line_break_is_refused(email: str) -> None:
    """Review #27 hardening finding 6: `$` matched before a trailing newline."""
    from polytomic_provider.user_models import _check_email

    with pytest.raises(ValueError, match="control characters"):
        _check_email(email)


@pytest.mark.parametrize(
    "email", ["ja\u200bne@example.com", "jane@exam\u00adple.com", "\u200fjane@example.com"]
)
def test_an_email_with_invisible_characters_is_refused_before_any_request(email: str) -> None:
    """A zero-width space, a soft hyphen or a direction mark is no `\\s`, so the pattern let it through: an
    address that looks like another one (review of #26, finding F6)."""
    from polytomic_provider.user_models import validate_user_inputs

    problems = validate_user_inputs({"organization_id": ORG, "email": email})
    assert [(p.property, "invisible" in p.reason) for p in problems] == [("email", True)]


def test_point_3_a_huge_role_list_from_the_server_gives_a_bounded_message_in_bounded_time() -> None:
    """RoleNotFound named every role the server listed, and the whole text was scrubbed: 1 MB of role names
    built to be decoded (entities, percent and \\u escapes) took 9 s to scrub, a 64 MiB list minutes; the
    key, \\u-escaped at the very end, must still never show."""
    import time

    from polytomic_provider.user_roles import RoleNotFound, resolve_role

    key = "pk-unit-roles-flood-0123456789"
    costly = "&amp;amp;#65; %25252541 \\u005cu0041 \\u0026amp; %26amp%3B a+b &#37;2541 "
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    names = [{"id": f"{n:08d}-0000-4000-8000-000000000000", "name": costly * 2} for n in range(8000)]
    names.append({"id": ADMIN, "name": f"last {escaped}"})

    def roles(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": names})

    settings = Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1)
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(roles))
    began = time.process_time()
    with pytest.raises(RoleNotFound) as failure:
        bridge.run(resolve_role(client, ORG, "Member"))
    took = time.process_time() - began
    message = str(failure.value)
    bridge.run(client.aclose())
    assert took < 3, took
    assert len(message) < 5000 and "left out" in message
    assert "name one of them, or give role_ids" in message  # the advice at the end is kept
    assert key not in message and escaped[:30] not in message


def test_point_3_the_name_holders_id_from_the_server_is_scrubbed_of_the_client_secret_sent() -> None:
    """A create or rename refused for its name names the holder's id from the list: scrubbed of the partner
    key only, so a server echoing the client_secret it was just sent showed it in clear."""
    from polytomic_provider.errors import Conflict
    from polytomic_provider.frontend import DYNAMIC
    from polytomic_provider.ownership import name_taken_message

    key, client_secret = "pk-unit-holder-0123456789", "cs-unit-holder-secret-987654"

    def organizations(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": f"id-{client_secret}", "name": "Acme"}]})

    settings = Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1)
    client = AsyncPolytomicClient(settings, transport=httpx.MockTransport(organizations))
    cause = Conflict(409, "name_taken", "name taken")
    for own_id in (None, "other-id"):
        message = bridge.run(
            name_taken_message(
                client, "Acme", cause=cause, frontend=DYNAMIC, own_id=own_id, secrets=(client_secret,)
            )
        )
        assert client_secret not in message and "[secret]" in message
    bridge.run(client.aclose())
