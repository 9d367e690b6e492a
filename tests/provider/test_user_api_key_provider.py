"""UserApiKeyProvider's methods called directly, as the provider host calls them, against the emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.output import Unknown

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.fields import ACCOUNT, CREATE_KEY
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from polytomic_provider.user_api_key_operations import UserApiKeyError
from polytomic_provider.user_api_key_provider import UserApiKeyProvider
from polytomic_provider.user_provider import UserProvider
from tests.support import PARTNER_KEY, base64_readable

MISSING = "248df4b7-aa70-47b8-a036-33ac447e668d"


@pytest.fixture
def keys(provider: OrganizationProvider) -> UserApiKeyProvider:
    """The key provider, on the runtime the `provider` fixture pointed at the emulator."""
    RUNTIME.new_operation()
    return UserApiKeyProvider()


@pytest.fixture
def org(provider: OrganizationProvider) -> str:
    return provider.create(provider.check({}, {"name": "Keys Inc"}).inputs).id


@pytest.fixture
def user(provider: OrganizationProvider, org: str) -> str:
    users = UserProvider()
    return users.create(users.check({}, {"organization_id": org, "email": "ops@example.com"}).inputs).id


def mint(keys: UserApiKeyProvider, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check then create, as the engine does; returns the id and the outputs."""
    checked = keys.check({}, props)
    assert checked.failures == []
    result = keys.create(checked.inputs)
    assert result.outs is not None
    return result.id, result.outs


def works(emulator: EmulatorProcess, key: str) -> int:
    """The status of GET /api/organization with the key as Bearer (200: it works as an org-scoped key)."""
    answer = httpx.get(f"{emulator.url}/api/organization", headers={"Authorization": f"Bearer {key}"})
    return answer.status_code


def mint_outside(emulator: EmulatorProcess, org: str, user: str) -> str:
    """A key minted outside Pulumi, with the partner key."""
    answer = httpx.post(
        f"{emulator.url}/api/organizations/{org}/users/{user}/keys",
        headers={"Authorization": f"Bearer {PARTNER_KEY}"},
    )
    answer.raise_for_status()
    return str(answer.json()["data"]["value"])


def key_posts(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal() if e["method"] == "POST" and "/keys" in e["path"]]


# -- check ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("news", "field", "words"),
    [
        ({"user_id": "ops"}, "user_id", "UUID"),
        ({}, "user_id", "required"),
        ({"user_id": MISSING, "keepers": ["a"]}, "keepers", "map of strings"),
        ({"user_id": MISSING, "keepers": {"a": 1}}, "keepers", "map of strings"),
        ({"user_id": MISSING, "force": "yes"}, "force", "True or False"),
        ({"user_id": MISSING, "value": "pk_mine"}, "value", "is an output"),
        ({"user_id": MISSING, "colour": "red"}, "colour", "not a property of UserApiKey"),
    ],
)
def test_check_names_the_field_and_the_fix_with_nothing_sent(
    keys: UserApiKeyProvider,
    org: str,
    emulator: EmulatorProcess,
    news: dict[str, Any],
    field: str,
    words: str,
) -> None:
    emulator.admin.clear_journal()
    failures = keys.check({}, {"organization_id": org, **news}).failures
    assert [f.property for f in failures] == [field]
    assert words in failures[0].reason
    assert emulator.admin.journal() == []


def test_check_lets_unknowns_through_and_names_a_missing_user(keys: UserApiKeyProvider, org: str) -> None:
    news = {"organization_id": Unknown(), "user_id": Unknown(), "keepers": Unknown()}
    assert keys.check({}, news).failures == []
    failures = keys.check({}, {"organization_id": org, "user_id": MISSING}).failures
    assert [f.property for f in failures] == ["user_id"] and "names no user" in failures[0].reason


# -- create --------------------------------------------------------------------------------------------------


def test_create_mints_one_unforced_key_that_acts_as_an_org_scoped_key(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess, account: str
) -> None:
    emulator.admin.clear_journal()
    id_, outs = mint(keys, {"organization_id": org, "user_id": user})
    value = outs.pop("value")
    assert outs == {
        "organization_id": org,
        "user_id": user,
        "keepers": {},
        "force": False,
        ACCOUNT: account,
    }
    assert id_.startswith(f"{user}/") and value not in id_
    assert works(emulator, value) == 200
    posts = key_posts(emulator)
    assert [p["path"] for p in posts] == [f"/api/organizations/{org}/users/{user}/keys"]
    assert "force" not in str(posts[0].get("query") or "")


@pytest.mark.parametrize("fault", [{"fail_next": 1, "fail_status": 503}, {"drop_after_next": 1}])
def test_a_retried_mint_is_one_key_under_one_idempotency_key(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess, fault: dict[str, Any]
) -> None:
    checked = keys.check({}, {"organization_id": org, "user_id": user}).inputs
    emulator.admin.clear_journal()
    emulator.admin.set_faults(**fault, methods=["POST"])
    outs = keys.create(checked).outs
    assert outs is not None and works(emulator, outs["value"]) == 200
    posts = key_posts(emulator)
    assert len(posts) == 2
    assert {p["headers"]["idempotency-key"] for p in posts} == {checked[CREATE_KEY]}


def test_an_existing_key_made_outside_pulumi_is_never_revoked_without_force(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    outside = mint_outside(emulator, org, user)
    _, outs = mint(keys, {"organization_id": org, "user_id": user})
    assert works(emulator, outside) == 200, "the key the stack did not mint keeps working"
    assert works(emulator, outs["value"]) == 200


def test_force_true_lets_the_first_mint_revoke_keys_made_outside(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    outside = mint_outside(emulator, org, user)
    emulator.admin.clear_journal()
    _, outs = mint(keys, {"organization_id": org, "user_id": user, "force": True})
    assert works(emulator, outside) == 401
    assert works(emulator, outs["value"]) == 200 and outs["force"] is True
    assert key_posts(emulator)[0]["query"] in ({"force": "true"}, "force=true")


def test_a_refused_unforced_mint_stops_with_the_fix_and_no_secret(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    checked = keys.check({}, {"organization_id": org, "user_id": user}).inputs
    emulator.admin.set_faults(fail_next=1, fail_status=409, methods=["POST"])
    with pytest.raises(UserApiKeyError) as failure:
        keys.create(checked)
    message = str(failure.value)
    assert "did not mint" in message and "force=True" in message
    assert PARTNER_KEY not in message and PARTNER_KEY.encode() not in base64_readable(message)


def test_a_mint_for_a_missing_user_names_it(keys: UserApiKeyProvider, org: str) -> None:
    checked = keys.check({}, {"organization_id": org, "user_id": Unknown()}).inputs
    checked["user_id"] = MISSING  # the value `up` resolves after the preview
    with pytest.raises(UserApiKeyError, match="names no user"):
        keys.create(checked)


# -- diff ----------------------------------------------------------------------------------------------------


def test_diff_no_change_force_alone_no_change_anything_else_replaces(
    keys: UserApiKeyProvider, org: str, user: str
) -> None:
    news = {"organization_id": org, "user_id": user, "keepers": {"rotated": "1"}}
    id_, outs = mint(keys, news)
    assert keys.diff(id_, outs, keys.check(news, news).inputs).changes is False
    assert keys.diff(id_, outs, {**news, "user_id": user.upper()}).changes is False
    assert keys.diff(id_, outs, {**news, "force": True}).changes is False
    for change, field in [
        ({"keepers": {"rotated": "2"}}, "keepers"),
        ({"keepers": None}, "keepers"),
        ({"keepers": Unknown()}, "keepers"),
        ({"user_id": Unknown()}, "user_id"),
        ({"user_id": MISSING}, "user_id"),
    ]:
        result = keys.diff(id_, outs, {**news, **change})
        assert result.changes is None and result.replaces == [field], change


# -- replacement (a rotation) --------------------------------------------------------------------------------


def test_a_rotation_mints_with_force_and_revokes_the_stacks_old_key(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    olds = {"organization_id": org, "user_id": user, "keepers": {"rotated": "1"}}
    first = keys.check({}, olds).inputs
    old_result = keys.create(first)
    assert old_result.outs is not None
    old_key = old_result.outs["value"]
    RUNTIME.new_operation()  # the rotation is a later `up`
    news = {**olds, "keepers": {"rotated": "2"}}
    emulator.admin.clear_journal()
    # The engine's order for a replacement: check with the old inputs, diff, check again as a new resource,
    # create the replacement, then delete the old one.
    keys.check(first, news)
    assert keys.diff(old_result.id, old_result.outs, news).replaces == ["keepers"]
    result = keys.create(keys.check({}, news).inputs)
    assert result.outs is not None and result.id != old_result.id
    keys.delete(old_result.id, old_result.outs)
    assert works(emulator, old_key) == 401, "the stack's old key is revoked by the forced mint"
    assert works(emulator, result.outs["value"]) == 200
    posts = key_posts(emulator)
    assert len(posts) == 1 and posts[0]["query"] in ({"force": "true"}, "force=true")


def test_a_second_key_resource_for_a_user_whose_key_the_stack_keeps_is_refused_with_nothing_minted(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    """A new UserApiKey for a user whose key another resource of the stack holds: its mint would be forced
    (the stack holds a key of that user) and silently revoke the key the other resource records as working
    (review of #26, finding F3). The other resource's diff keeps that key in this run, so the mint stops."""
    props = {"organization_id": org, "user_id": user}
    first = keys.check({}, props).inputs
    made = keys.create(first)
    assert made.outs is not None
    RUNTIME.new_operation()  # a later `up` that adds a second key resource for the same user
    keys.check(first, props)
    assert keys.diff(made.id, made.outs, props).changes is False
    emulator.admin.clear_journal()
    with pytest.raises(UserApiKeyError, match="another UserApiKey of this stack holds this user's key"):
        keys.create(keys.check({}, props).inputs)
    assert key_posts(emulator) == [], "nothing minted"
    assert works(emulator, made.outs["value"]) == 200, "the stack's key still works"


def test_a_key_diffed_unchanged_then_replaced_in_one_run_may_still_rotate(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    """The engine may diff a resource twice in one run: with its old inputs, as a dependent of a delete-first
    replacement (no change), then as itself (a keepers change). Only the last word counts: the key's own
    rotation is not refused as a second key of the user."""
    olds = {"organization_id": org, "user_id": user, "keepers": {"rotated": "1"}}
    first = keys.check({}, olds).inputs
    made = keys.create(first)
    assert made.outs is not None
    RUNTIME.new_operation()
    assert keys.diff(made.id, made.outs, first).changes is False  # as a dependent: its old inputs
    news = {**olds, "keepers": {"rotated": "2"}}
    keys.check(first, news)
    assert keys.diff(made.id, made.outs, news).replaces == ["keepers"]
    rotated = keys.create(keys.check({}, news).inputs)
    assert rotated.outs is not None and works(emulator, rotated.outs["value"]) == 200


# -- read and delete -----------------------------------------------------------------------------------------


def test_read_keeps_the_state_as_it_is(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    id_, outs = mint(keys, {"organization_id": org, "user_id": user})
    emulator.admin.clear_journal()
    result = keys.read(id_, outs)
    assert result.id == id_ and result.outs == outs and result.inputs is None
    assert all(e["method"] == "GET" for e in emulator.admin.journal())


@pytest.mark.parametrize("gone", ["user", "organization"])
def test_read_drops_the_key_when_its_user_or_organization_is_gone(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess, gone: str
) -> None:
    id_, outs = mint(keys, {"organization_id": org, "user_id": user})
    path = f"/api/organizations/{org}" + (f"/users/{user}" if gone == "user" else "")
    httpx.delete(emulator.url + path, headers={"Authorization": f"Bearer {PARTNER_KEY}"}).raise_for_status()
    result = keys.read(id_, outs)
    assert result.id is None and result.outs == {}
    assert works(emulator, outs["value"]) == 401, "its keys went with it"


def test_delete_sends_nothing_and_the_key_keeps_working(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    id_, outs = mint(keys, {"organization_id": org, "user_id": user})
    emulator.admin.clear_journal()
    keys.delete(id_, outs)
    assert emulator.admin.journal() == []
    assert works(emulator, outs["value"]) == 200, "no revoke call exists: documented in docs/users.md"


# -- the key never in an error -------------------------------------------------------------------------------


def test_the_key_is_in_no_error(
    keys: UserApiKeyProvider, org: str, user: str, emulator: EmulatorProcess
) -> None:
    id_, outs = mint(keys, {"organization_id": org, "user_id": user})
    value = outs["value"]
    messages = []
    moved = {**outs, ACCOUNT: "http://elsewhere.example.com#owner=" + MISSING}
    for call in (
        lambda: keys.read(id_, moved),
        lambda: keys.read(id_, {**outs, ACCOUNT: None, "user_id": MISSING}),
        lambda: keys.read(id_, {"value": value}),
        lambda: keys.create({**moved, CREATE_KEY: "pulumi-create-x" * 2}),
    ):
        with pytest.raises(UserApiKeyError) as failure:
            call()
        messages.append(str(failure.value) + repr(failure.value))
    for message in messages:
        assert value not in message and value.encode() not in base64_readable(message)
        assert PARTNER_KEY not in message
