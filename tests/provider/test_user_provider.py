"""UserProvider's methods called directly, as the provider host calls them, against the emulator."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.output import Unknown

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.provider import CREATE_KEY, OrganizationProvider
from polytomic_provider.user_operations import UserError
from polytomic_provider.user_provider import UserProvider
from tests.support import PARTNER_KEY, base64_readable


@pytest.fixture
def users(provider: OrganizationProvider) -> UserProvider:
    """The user provider, on the runtime the `provider` fixture pointed at the emulator."""
    return UserProvider()


@pytest.fixture
def org(provider: OrganizationProvider) -> str:
    """A fresh organization of the partner account, made through the provider."""
    return provider.create(provider.check({}, {"name": "Acme"}).inputs).id


def api_calls(emulator: EmulatorProcess) -> list[tuple[str, str, int]]:
    return [(e["method"], e["path"], e["status"]) for e in emulator.admin.journal()]


def create(users: UserProvider, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Check then create, as the engine does; returns the id and the outputs."""
    checked = users.check({}, props)
    assert checked.failures == []
    result = users.create(checked.inputs)
    return result.id, result.outs


def roles(emulator: EmulatorProcess, org: str) -> dict[str, str]:
    """The organization's role ids by name, through the organization-scoped Basic credential."""
    import base64

    import httpx

    basic = base64.b64encode(f"{org}:{PARTNER_KEY}".encode()).decode()
    answer = httpx.get(f"{emulator.url}/api/permissions/roles", headers={"Authorization": f"Basic {basic}"})
    return {role["name"]: role["id"] for role in answer.json()["data"]}


# -- check: validation before any request -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("news", "field", "words"),
    [
        ({"email": "not an email"}, "email", "jane@example.com"),
        ({"email": "jane@example.com", "role_ids": []}, "role_ids", "must not be empty"),
        ({"email": "jane@example.com", "role": "Admin", "role_ids": ["x"]}, "role", "give one of them"),
        ({"email": "jane@example.com", "role_ids": ["admin"]}, "role_ids", "role='Admin'"),
        ({"email": "jane@example.com", "colour": "red"}, "colour", "not a property of User"),
        ({"email": "jane@example.com", "adopt_id": "jane"}, "adopt_id", "UUID"),
        ({"role": "Admin"}, "email", "required"),
    ],
)
def test_check_names_the_field_and_the_fix_with_nothing_sent(
    users: UserProvider, org: str, emulator: EmulatorProcess, news: dict[str, Any], field: str, words: str
) -> None:
    emulator.admin.clear_journal()
    failures = users.check({}, {"organization_id": org, **news}).failures
    assert [f.property for f in failures] == [field]
    assert words in failures[0].reason
    assert api_calls(emulator) == []


def test_check_lets_unknown_values_through(users: UserProvider, emulator: EmulatorProcess) -> None:
    emulator.admin.clear_journal()
    result = users.check({}, {"organization_id": Unknown(), "email": "jane@example.com", "role": "Member"})
    assert result.failures == []
    assert "__role_ids" not in result.inputs  # resolved once the organization is known
    assert [call[1] for call in api_calls(emulator)] in ([], ["/api/organization"])


def test_check_resolves_the_role_name_once_ignoring_case(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    member = roles(emulator, org)["Member"]
    emulator.admin.clear_journal()
    first = users.check({}, {"organization_id": org, "email": "a@example.com", "role": "member"})
    second = users.check({}, {"organization_id": org, "email": "b@example.com", "role": "MEMBER"})
    assert first.inputs["__role_ids"] == second.inputs["__role_ids"] == [member]
    assert [c[1] for c in api_calls(emulator)].count("/api/permissions/roles") == 1


def test_check_refuses_a_role_the_organization_does_not_have(users: UserProvider, org: str) -> None:
    failures = users.check({}, {"organization_id": org, "email": "a@example.com", "role": "Owner"}).failures
    assert [f.property for f in failures] == ["role"]
    assert "'Admin'" in failures[0].reason and "'Member'" in failures[0].reason


def test_check_refuses_an_organization_that_does_not_exist(users: UserProvider) -> None:
    missing = "248df4b7-aa70-47b8-a036-33ac447e668d"
    failures = users.check({}, {"organization_id": missing, "email": "a@example.com"}).failures
    assert [f.property for f in failures] == ["organization_id"]


# -- create ----------------------------------------------------------------------------------------------


def test_create_defaults_to_admin_and_records_the_account(
    users: UserProvider, org: str, emulator: EmulatorProcess, account: str
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "Jane@Example.com"})
    assert outs.pop(CREATE_KEY).startswith("pulumi-create-"), "the resource's identity, from the inputs"
    assert outs == {
        "email": "jane@example.com",
        "organization_id": org,
        "role": "admin",
        "role_ids": [roles(emulator, org)["Admin"]],
        "__account": account,
    }
    assert [i["user_id"] for i in emulator.admin.invitations()] == [id_]


def test_create_by_role_name_sends_the_resolved_ids(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    _, outs = create(users, {"organization_id": org, "email": "m@example.com", "role": "Member"})
    assert outs["role_ids"] == [roles(emulator, org)["Member"]] and outs["role"] == "user"
    post = next(e for e in emulator.admin.journal() if e["method"] == "POST" and e["path"].endswith("/users"))
    assert post["body"] == {"email": "m@example.com", "role_ids": outs["role_ids"]}


@pytest.mark.parametrize("fault", [{"fail_next": 1, "fail_status": 503}, {"drop_after_next": 1}])
def test_a_retried_create_sends_exactly_one_invitation(
    users: UserProvider, org: str, emulator: EmulatorProcess, fault: dict[str, Any]
) -> None:
    checked = users.check({}, {"organization_id": org, "email": "retry@example.com"}).inputs
    emulator.admin.clear_journal()
    emulator.admin.set_faults(**fault, methods=["POST"])
    id_ = users.create(checked).id
    invitations = emulator.admin.invitations()
    assert [(i["user_id"], i["email"]) for i in invitations] == [(id_, "retry@example.com")]
    posts = [e for e in emulator.admin.journal() if e["method"] == "POST"]
    assert len(posts) == 2
    assert {p["headers"]["idempotency-key"] for p in posts} == {checked[CREATE_KEY]}


def test_a_taken_email_stops_with_the_users_id_and_how_to_adopt_it(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    existing, _ = create(users, {"organization_id": org, "email": "taken@example.com"})
    with pytest.raises(UserError) as failure:
        create(users, {"organization_id": org, "email": "TAKEN@example.com"})
    message = str(failure.value)
    assert existing in message and f"adopt_id={existing!r}" in message
    assert PARTNER_KEY not in message and PARTNER_KEY.encode() not in base64_readable(message)
    assert len(emulator.admin.invitations()) == 1


def test_a_forced_replacement_keeping_the_email_names_the_delete_first_option(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    """`pulumi up --replace` of a user: the engine checks the resource with its stored inputs, then again as
    a new resource (no olds), and creates the replacement first while the old user still holds the email.
    Nothing tells that create it is a replacement, so the message names the delete-first option for that
    case before the adoption advice for the other."""
    from polytomic_provider.runtime import RUNTIME

    props = {"organization_id": org, "email": "kept@example.com"}
    checked = users.check({}, props).inputs
    made = users.create(checked)
    RUNTIME.new_operation()  # the `up --replace`
    users.check(checked, props)
    again = users.check({}, props)
    with pytest.raises(UserError) as failure:
        users.create(again.inputs)
    message = str(failure.value)
    assert made.id in message and "If this create replaces this same resource" in message
    assert message.index("delete_before_replace=True") < message.index(f"adopt_id={made.id!r}")
    assert len(emulator.admin.invitations()) == 1


def test_adopt_id_takes_over_the_user_without_an_invitation(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    existing, _ = create(users, {"organization_id": org, "email": "old@example.com"})
    id_, outs = create(users, {"organization_id": org, "email": "old@example.com", "adopt_id": existing})
    assert id_ == existing and outs["adopt_id"] == existing
    assert len(emulator.admin.invitations()) == 1


def test_adopt_id_of_no_user_fails_check(users: UserProvider, org: str) -> None:
    news = {
        "organization_id": org,
        "email": "a@example.com",
        "adopt_id": "248df4b7-aa70-47b8-a036-33ac447e668d",
    }
    failures = users.check({}, news).failures
    assert [f.property for f in failures] == ["adopt_id"]


def test_two_resources_adopting_one_user_are_refused_at_check_naming_the_id(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    from polytomic_provider.runtime import RUNTIME

    existing, _ = create(users, {"organization_id": org, "email": "twice@example.com"})
    RUNTIME.new_operation()  # a later `up` whose program names the user twice
    news = {"organization_id": org, "email": "twice@example.com", "adopt_id": existing}
    assert users.check({}, news).failures == []
    failures = users.check({}, {**news, "email": "TWICE@example.com"}).failures
    assert [f.property for f in failures] == ["adopt_id"]
    reason = failures[0].reason
    assert f"user {existing} is claimed by two resources of this stack" in reason
    assert "'twice@example.com'" in reason and "'TWICE@example.com'" in reason, "both resources named"
    assert len(emulator.admin.invitations()) == 1


def test_adopting_the_stacks_own_user_is_refused_whichever_comes_first(users: UserProvider, org: str) -> None:
    from polytomic_provider.runtime import RUNTIME

    props = {"organization_id": org, "email": "held@example.com"}
    id_, outs = create(users, props)
    RUNTIME.new_operation()  # a later `up`: the stack's resource is diffed, another one adopts its user
    assert users.diff(id_, outs, users.check(props, props).inputs).changes is False
    failures = users.check({}, {**props, "adopt_id": id_.upper()}).failures
    assert [f.property for f in failures] == ["adopt_id"]
    assert "the stack's User 'held@example.com'" in failures[0].reason and id_ in failures[0].reason
    RUNTIME.new_operation()  # the other order: the adopting resource first, then the stack's diff
    assert users.check({}, {**props, "adopt_id": id_}).failures == []
    with pytest.raises(UserError, match=f"user {id_} is claimed by two resources"):
        users.diff(id_, outs, users.check(props, props).inputs)


def test_the_replacement_of_an_adopted_user_is_not_its_own_rival(users: UserProvider, org: str) -> None:
    """The engine checks a replacement again as a new resource, with the same inputs (adopt_id left in)."""
    from polytomic_provider.runtime import RUNTIME

    existing, _ = create(users, {"organization_id": org, "email": "kept@example.com"})
    olds = users.check({}, {"organization_id": org, "email": "kept@example.com", "adopt_id": existing})
    adopted = users.create(olds.inputs)
    RUNTIME.new_operation()
    news = {"organization_id": org, "email": "kept@example.com", "adopt_id": existing, "role": "Member"}
    users.check(olds.inputs, news)
    users.diff(adopted.id, adopted.outs, news)
    assert users.check({}, news).failures == []


# -- two resources holding one user --------------------------------------------------------------------------


def _made(users: UserProvider, props: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Check then create: the recorded inputs, the id and the outputs (the next run's olds)."""
    inputs = users.check({}, props).inputs
    made = users.create(inputs)
    return inputs, made.id, made.outs


def test_a_dependent_diffed_twice_then_replaced_deletes_its_old_user(
    users: UserProvider, org: str, partner_api: httpx.Client
) -> None:
    """A dependent of a delete-first replacement is diffed with the replaced resource's outputs unknown,
    then again as itself (here its email changed too): its old user is deleted."""
    from polytomic_provider.runtime import RUNTIME

    props = {"organization_id": org, "email": "dependent@example.com"}
    inputs, id_, outs = _made(users, props)
    RUNTIME.new_operation()
    unknown = users.check(inputs, {**props, "organization_id": Unknown()}).inputs
    assert users.diff(id_, outs, unknown).replaces == ["organization_id"]
    itself = users.check(inputs, {**props, "email": "moved@example.com"}).inputs
    assert users.diff(id_, outs, itself).replaces == ["email"]
    users.delete(id_, outs)
    assert partner_api.get(f"/api/organizations/{org}/users/{id_}").status_code == 404


# -- diff and update ---------------------------------------------------------------------------------------


def test_an_email_case_change_is_no_diff_and_another_email_replaces(users: UserProvider, org: str) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "case@example.com"})
    same = users.check(outs, {"organization_id": org, "email": "CASE@Example.com"}).inputs
    assert users.diff(id_, outs, same).changes is False
    other = users.check(outs, {"organization_id": org, "email": "other@example.com"}).inputs
    result = users.diff(id_, outs, other)
    assert result.changes is None and result.replaces == ["email"]


def test_another_organization_replaces_the_user(
    users: UserProvider, provider: OrganizationProvider, org: str
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "move@example.com"})
    second = provider.create(provider.check({}, {"name": "Beta"}).inputs).id
    moved = users.check(outs, {"organization_id": second, "email": "move@example.com"}).inputs
    assert users.diff(id_, outs, moved).replaces == ["organization_id"]


def test_a_role_change_updates_in_place_with_the_full_payload(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "Role@example.com"})
    news = users.check(outs, {"organization_id": org, "email": "Role@example.com", "role": "Member"}).inputs
    result = users.diff(id_, outs, news)
    assert result.changes is None and result.replaces == []
    emulator.admin.clear_journal()
    updated = users.update(id_, outs, news).outs
    member = roles(emulator, org)["Member"]
    assert updated["role_ids"] == [member] and updated["role"] == "user"
    puts = [e for e in emulator.admin.journal() if e["method"] == "PUT"]
    assert [p["body"] for p in puts] == [{"email": "Role@example.com", "role_ids": [member]}]
    assert users.diff(id_, updated, news).changes is False


# -- read and delete ---------------------------------------------------------------------------------------


def test_read_as_stored_keeps_the_inputs_and_drift_records_them(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "read@example.com"})
    same = users.read(id_, outs)
    assert same.outs == outs and same.inputs is None
    drifted = users.read(id_, {**outs, "role_ids": [roles(emulator, org)["Member"]]})
    assert drifted.inputs is not None and drifted.inputs["role_ids"] == outs["role_ids"]


def test_delete_then_read_drops_it_and_a_second_delete_is_fine(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "gone@example.com"})
    from tests.support import configure

    configure(emulator.url)  # a new operation: the create's claim is not remembered
    users.delete(id_, outs)
    assert users.read(id_, outs).id is None
    users.delete(id_, outs)  # a 404 on delete: already gone
    deletes = [c for c in api_calls(emulator) if c[0] == "DELETE"]
    assert [c[2] for c in deletes] == [200, 404]


def test_check_refuses_role_ids_of_no_role_of_the_organization(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    stranger = "248df4b7-aa70-47b8-a036-33ac447e668d"
    news = {"organization_id": org, "email": "a@example.com", "role_ids": [stranger]}
    failures = users.check({}, news).failures
    assert [f.property for f in failures] == ["role_ids"]
    assert stranger in failures[0].reason and roles(emulator, org)["Member"] in failures[0].reason
    assert emulator.admin.invitations() == []


def test_a_404_drops_the_user_only_in_the_account_that_recorded_it(
    users: UserProvider, org: str, emulator: EmulatorProcess, account: str
) -> None:
    id_, outs = create(users, {"organization_id": org, "email": "proof@example.com"})
    emulator.admin.reset()  # the user is gone
    owner = account.rpartition("#owner=")[2]
    elsewhere = {**outs, "__account": f"https://elsewhere.example.com#owner={owner}"}
    with pytest.raises(UserError, match="no proof that it is gone"):
        users.read(id_, elsewhere)
    other_account = {**outs, "__account": "https://elsewhere.example.com#owner=other"}
    with pytest.raises(UserError, match="another account"):
        users.read(id_, other_account)
    assert users.read(id_, outs).id is None


def test_a_stale_adopt_id_never_takes_another_address(
    users: UserProvider, org: str, emulator: EmulatorProcess
) -> None:
    """A replacement (another email) is checked as a new resource: the adopt_id left in the program names
    the old user, whose address is not the declared one, so nothing is changed and the fix is named."""
    existing, _ = create(users, {"organization_id": org, "email": "first@example.com"})
    news = {"organization_id": org, "email": "second@example.com", "adopt_id": existing}
    with pytest.raises(UserError, match="remove adopt_id"):
        users.create(users.check({}, news).inputs)
    assert [i["email"] for i in emulator.admin.invitations()] == ["first@example.com"]
    assert not [e for e in emulator.admin.journal() if e["method"] == "PUT"]
