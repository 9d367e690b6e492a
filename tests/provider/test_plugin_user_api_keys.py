"""The provider plugin's `polytomic:index:UserApiKey` against a live emulator, in process.

The rules are the core's (tested through the dynamic front end in test_user_api_key_provider.py): these
tests check that the plugin hands them over whole, speaks them in the schema's spelling, marks the key a
secret in every answer carrying it, and never puts the key in a failure or an error.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.fields import ACCOUNT, CREATE_KEY
from polytomic_provider.plugin.provider import PolytomicProvider
from polytomic_provider.plugin.user_api_keys import USER_API_KEY
from polytomic_provider.user_api_key_operations import UserApiKeyError
from tests.provider.test_plugin_methods import configured, run, values
from tests.support import PARTNER_KEY, base64_readable

URN = f"urn:pulumi:test::project::{USER_API_KEY}::jane-key"
MISSING = "248df4b7-aa70-47b8-a036-33ac447e668d"


@pytest.fixture
def org(partner_api: httpx.Client) -> str:
    made = partner_api.post("/api/organizations", json={"name": "Key Plugin Inc"})
    made.raise_for_status()
    organization_id: str = made.json()["data"]["id"]
    return organization_id


@pytest.fixture
def user(partner_api: httpx.Client, org: str) -> str:
    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": "ops@example.com"})
    made.raise_for_status()
    user_id: str = made.json()["data"]["id"]
    return user_id


def check(
    plugin: PolytomicProvider, news: dict[str, PropertyValue], olds: dict[str, PropertyValue] | None = None
) -> rpc.CheckResponse:
    return run(plugin.check(rpc.CheckRequest(URN, olds or {}, news, b"")))


def mint(plugin: PolytomicProvider, **props: Any) -> tuple[dict[str, PropertyValue], rpc.CreateResponse]:
    """Check then create, as the engine does: the checked inputs and the create's answer."""
    checked = check(plugin, values(**props))
    assert not checked.failures, [f.reason for f in checked.failures]
    inputs = checked.inputs or {}
    return inputs, run(plugin.create(rpc.CreateRequest(URN, inputs, 60, False)))


def works(emulator: EmulatorProcess, key: str) -> int:
    answer = httpx.get(f"{emulator.url}/api/organization", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code


def key_posts(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal() if e["method"] == "POST" and "/keys" in e["path"]]


def assert_hidden(value: str, *texts: str) -> None:
    for text in texts:
        assert value not in text and value.encode() not in base64_readable(text)
        assert PARTNER_KEY not in text


# -- check ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("news", "field", "words"),
    [
        ({"userId": "ops"}, "userId", "userId must be an id"),
        ({}, "userId", "userId is required"),
        ({"userId": MISSING, "keepers": ["a"]}, "keepers", "{rotated: '2026-12'}"),
        ({"userId": MISSING, "force": "yes"}, "force", "true or false"),
        ({"userId": MISSING, "value": "pk_mine"}, "", "value is an output"),
        ({"userId": MISSING, "colour": "red"}, "", "not a property of UserApiKey"),
        ({"user_id": MISSING}, "", "user_id is not a property of UserApiKey: write it userId"),
    ],
)
def test_check_names_the_schema_property_and_the_fix_with_nothing_sent(
    plugin: PolytomicProvider,
    org: str,
    emulator: EmulatorProcess,
    news: dict[str, Any],
    field: str,
    words: str,
) -> None:
    emulator.admin.clear_journal()
    failures = check(plugin, values(organizationId=org, **news)).failures or []
    assert any(f.property == field and words in f.reason for f in failures), [
        (f.property, f.reason) for f in failures
    ]
    assert "value" not in [f.property for f in failures], "the engine would print the value beside it"
    assert emulator.admin.journal() == []


def test_check_draws_a_create_key_once_and_names_a_missing_user(plugin: PolytomicProvider, org: str) -> None:
    gone = check(plugin, values(organizationId=org, userId=MISSING)).failures or []
    assert [f.property for f in gone] == ["userId"] and "getUsers(organizationId)" in gone[0].reason
    news = {**values(organizationId=org), "userId": PropertyValue.computed()}
    first = check(plugin, news)
    assert not first.failures and CREATE_KEY in (first.inputs or {})
    again = check(plugin, news, olds=first.inputs)
    assert (again.inputs or {})[CREATE_KEY].value == (first.inputs or {})[CREATE_KEY].value


# -- create: the key a secret -----------------------------------------------------------------------------


def test_create_mints_one_unforced_key_marked_secret_in_the_response(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    inputs, made = mint(plugin, organizationId=org, userId=user, keepers={"rotated": "1"})
    value = made.properties["value"]
    assert value.is_secret and isinstance(value.value, str) and works(emulator, value.value) == 200
    assert {k for k in made.properties if not k.startswith("__")} == {
        "organizationId",
        "userId",
        "keepers",
        "force",
        "value",
    }
    assert made.properties["userId"].value == user and not made.properties["userId"].is_secret
    assert made.resource_id is not None and value.value not in made.resource_id
    (post,) = key_posts(emulator)
    assert post["headers"]["idempotency-key"] == inputs[CREATE_KEY].value
    assert post["query"] in ({}, "", None), "a first mint is unforced"


def test_a_refused_unforced_mint_says_force_true_in_the_schemas_spelling(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    inputs = check(plugin, values(organizationId=org, userId=user)).inputs or {}
    emulator.admin.set_faults(fail_next=1, fail_status=409, methods=["POST"])
    with pytest.raises(UserApiKeyError) as failure:
        run(plugin.create(rpc.CreateRequest(URN, inputs, 60, False)))
    message = str(failure.value)
    assert "did not mint" in message and "set force: true on the UserApiKey" in message
    assert "UserApiKeyArgs" not in message and "user_id" not in message
    assert_hidden("never-a-key", message)


# -- diff, update, read, import, delete -------------------------------------------------------------------


def test_diff_no_change_force_alone_no_change_keepers_and_user_replace(
    plugin: PolytomicProvider, org: str, user: str
) -> None:
    _, made = mint(plugin, organizationId=org, userId=user, keepers={"rotated": "1"})
    olds, id_ = made.properties, made.resource_id or ""

    def diff(**news: Any) -> rpc.DiffResponse:
        checked = check(plugin, values(organizationId=org, **news), olds=olds).inputs or {}
        return run(plugin.diff(rpc.DiffRequest(URN, id_, olds, checked, [])))

    same = diff(userId=user.upper(), keepers={"rotated": "1"})
    assert same.changes is False and same.replaces == []
    assert diff(userId=user, keepers={"rotated": "1"}, force=True).changes is False
    rotated = diff(userId=user, keepers={"rotated": "2"})
    assert rotated.changes is True and rotated.replaces == ["keepers"]
    assert rotated.detailed_diff["keepers"].kind == rpc.PropertyDiffKind.UPDATE_REPLACE
    assert rotated.delete_before_replace is False
    assert diff(userId=MISSING, keepers={"rotated": "1"}).replaces == ["userId"]


def test_a_second_key_resource_for_a_user_whose_key_the_stack_keeps_is_refused_with_nothing_minted(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    """The plugin's side of the dynamic provider's rule: the stack's key, unchanged in this run, is never
    revoked by a second resource's (forced) mint for the same user."""
    inputs, made = mint(plugin, organizationId=org, userId=user)
    later = configured(emulator.url)  # a later `up` adding a second key resource for the same user
    news = values(organizationId=org, userId=user)
    check(later, news, olds=inputs)
    diffed = run(later.diff(rpc.DiffRequest(URN, made.resource_id or "", made.properties, inputs, [])))
    assert diffed.changes is False
    emulator.admin.clear_journal()
    second = check(later, news).inputs or {}
    with pytest.raises(UserApiKeyError, match="another UserApiKey of this stack holds this user's key"):
        run(later.create(rpc.CreateRequest(URN + "-2", second, 60, False)))
    assert key_posts(emulator) == []
    assert works(emulator, str(made.properties["value"].value)) == 200


def test_update_sends_nothing_and_keeps_the_key_secret(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    inputs, made = mint(plugin, organizationId=org, userId=user)
    emulator.admin.clear_journal()
    news = {**inputs, "force": PropertyValue(True)}
    request = rpc.UpdateRequest(URN, made.resource_id or "", made.properties, news, 60, [], False)
    updated = run(plugin.update(request)).properties or {}
    assert updated["force"].value is True and updated["value"].is_secret
    assert updated["value"].value == made.properties["value"].value
    assert [e for e in emulator.admin.journal() if e["method"] != "GET"] == []


def test_refresh_keeps_the_state_secret_and_drops_the_key_when_its_user_is_gone(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    inputs, made = mint(plugin, organizationId=org, userId=user)
    id_ = made.resource_id or ""
    emulator.admin.clear_journal()
    same = run(plugin.read(rpc.ReadRequest(URN, id_, made.properties, inputs)))
    assert same.resource_id == id_ and same.inputs == inputs
    assert (
        same.properties["value"].is_secret
        and same.properties["value"].value == made.properties["value"].value
    )
    assert all(e["method"] == "GET" for e in emulator.admin.journal())
    partner_api.delete(f"/api/organizations/{org}/users/{user}").raise_for_status()
    gone = run(plugin.read(rpc.ReadRequest(URN, id_, made.properties, inputs)))
    assert gone.resource_id is None and gone.properties == {}


def test_import_is_refused_saying_why(plugin: PolytomicProvider, org: str, user: str) -> None:
    with pytest.raises(UserApiKeyError, match="cannot be looked up or imported: declare a UserApiKey"):
        run(plugin.read(rpc.ReadRequest(URN, f"{org}/{user}", {}, {})))


def test_delete_sends_nothing_and_the_key_keeps_working(
    plugin: PolytomicProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    _, made = mint(plugin, organizationId=org, userId=user)
    emulator.admin.clear_journal()
    run(plugin.delete(rpc.DeleteRequest(URN, made.resource_id or "", made.properties, 60)))
    assert emulator.admin.journal() == []
    assert works(emulator, str(made.properties["value"].value)) == 200


def test_the_key_is_in_no_error(plugin: PolytomicProvider, org: str, user: str) -> None:
    inputs, made = mint(plugin, organizationId=org, userId=user)
    id_, props = made.resource_id or "", made.properties
    value = str(props["value"].value)
    elsewhere = PropertyValue("http://elsewhere.example.com#owner=" + MISSING)
    messages = []
    for call in (
        lambda: plugin.read(rpc.ReadRequest(URN, id_, {**props, ACCOUNT: elsewhere}, inputs)),
        lambda: plugin.read(rpc.ReadRequest(URN, id_, {"value": props["value"]}, {})),
        lambda: plugin.create(rpc.CreateRequest(URN, {**props, ACCOUNT: elsewhere}, 60, False)),
    ):
        with pytest.raises(UserApiKeyError) as failure:
            run(call())
        messages.append(str(failure.value) + repr(failure.value))
    moved = check(plugin, {**values(organizationId=org, userId=user)}, olds={**props, ACCOUNT: elsewhere})
    messages += [f.property + f.reason for f in moved.failures or []]
    assert moved.failures
    assert_hidden(value, *messages)
