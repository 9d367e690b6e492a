"""The provider plugin's `polytomic:index:User` and its functions against a live emulator, in process.

Requests are built as the engine sends them (PropertyValues, camelCase names), as in test_plugin_methods.py;
the rules themselves are the core's (tested through the dynamic front end in test_user_provider.py): these
tests check that the plugin hands them over whole and speaks them in its own spelling.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.plugin.provider import PolytomicProvider
from polytomic_provider.plugin.users import USER
from polytomic_provider.user_fields import RESOLVED_ROLE_IDS
from polytomic_provider.user_lookups import UserLookupError
from polytomic_provider.user_operations import UserError
from tests.provider.test_plugin_methods import configured, run, values

URN = f"urn:pulumi:test::project::{USER}::jane"
MISSING = "248df4b7-aa70-47b8-a036-33ac447e668d"


@pytest.fixture
def org(partner_api: httpx.Client) -> str:
    """A fresh organization of the partner account."""
    made = partner_api.post("/api/organizations", json={"name": "Acme"})
    made.raise_for_status()
    organization_id: str = made.json()["data"]["id"]
    return organization_id


def roles(partner_api: httpx.Client, org: str) -> dict[str, str]:
    """The organization's role ids by name, through the organization-scoped Basic credential."""
    import base64

    from tests.support import PARTNER_KEY

    basic = base64.b64encode(f"{org}:{PARTNER_KEY}".encode()).decode()
    answer = partner_api.get("/api/permissions/roles", headers={"Authorization": f"Basic {basic}"})
    return {role["name"]: role["id"] for role in answer.json()["data"]}


def check(
    plugin: PolytomicProvider, news: dict[str, PropertyValue], olds: dict[str, PropertyValue] | None = None
) -> rpc.CheckResponse:
    return run(plugin.check(rpc.CheckRequest(URN, olds or {}, news, b"")))


def create(plugin: PolytomicProvider, **props: Any) -> tuple[dict[str, PropertyValue], rpc.CreateResponse]:
    """Check then create, as the engine does: the checked inputs and the create's answer."""
    checked = check(plugin, values(**props))
    assert not checked.failures, [f.reason for f in checked.failures]
    inputs = checked.inputs or {}
    return inputs, run(plugin.create(rpc.CreateRequest(URN, inputs, 60, False)))


def plain(properties: dict[str, PropertyValue]) -> dict[str, Any]:
    def unwrap(value: PropertyValue) -> Any:
        inner: Any = value.value
        return [unwrap(item) for item in inner] if isinstance(inner, list | tuple) else inner

    return {key: unwrap(value) for key, value in properties.items()}


def writes(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    return [
        (e["method"], e["path"]) for e in emulator.admin.journal() if e["method"] in ("POST", "PUT", "DELETE")
    ]


# -- check ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("news", "field", "words"),
    [
        ({"email": "not an email"}, "email", "jane@example.com"),
        ({"email": "jane@example.com", "roleIds": []}, "roleIds", "must not be empty"),
        ({"email": "jane@example.com", "role": "Admin", "roleIds": [MISSING]}, "role", "roleIds=[...]"),
        ({"email": "jane@example.com", "roleIds": ["admin"]}, "roleIds", "role='Admin'"),
        ({"role": "Admin"}, "email", "required"),
    ],
)
def test_check_names_the_property_in_the_schemas_spelling_with_nothing_sent(
    plugin: PolytomicProvider,
    org: str,
    emulator: EmulatorProcess,
    news: dict[str, Any],
    field: str,
    words: str,
) -> None:
    emulator.admin.clear_journal()
    failures = check(plugin, values(organizationId=org, **news)).failures or []
    assert [f.property for f in failures] == [field]
    assert words in failures[0].reason and "role_ids" not in failures[0].reason
    assert emulator.admin.journal() == []


def test_check_refuses_python_spelling_and_adopt_id_pointing_at_pulumi_import(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess
) -> None:
    emulator.admin.clear_journal()
    news = values(organization_id=org, email="jane@example.com", adopt_id=MISSING)
    reasons = {f.reason.split(" ", 1)[0]: (f.property, f.reason) for f in check(plugin, news).failures or []}
    assert reasons["organization_id"] == (
        "",
        "organization_id is not a property of User: write it organizationId",
    )
    assert (
        "pulumi import polytomic:index:User <resource name> <organization id>/<user id>"
        in (reasons["adopt_id"][1])
    )
    assert emulator.admin.journal() == []


def test_check_resolves_the_role_once_and_draws_a_create_key_only_for_a_new_user(
    plugin: PolytomicProvider, org: str, partner_api: httpx.Client
) -> None:
    member = roles(partner_api, org)["Member"]
    first = check(plugin, values(organizationId=org, email="a@example.com", role="member")).inputs or {}
    assert plain(first)[RESOLVED_ROLE_IDS] == [member] and CREATE_KEY in first
    again = check(plugin, values(organizationId=org, email="a@example.com", role="member"), olds=first)
    assert (again.inputs or {})[CREATE_KEY].value == first[CREATE_KEY].value


def test_check_passes_an_organization_not_known_yet(plugin: PolytomicProvider) -> None:
    news = {**values(email="jane@example.com", role="Member"), "organizationId": PropertyValue.computed()}
    checked = check(plugin, news)
    assert not checked.failures and RESOLVED_ROLE_IDS not in (checked.inputs or {})


def test_check_passes_the_engines_unknown_string_as_not_known_yet(plugin: PolytomicProvider) -> None:
    """A preview of a typed-SDK program: the engine sends the organization's id not known yet as its
    unknown sentinel string, to a provider that does not accept output values."""
    from pulumi.runtime.rpc import UNKNOWN as ENGINE_UNKNOWN

    checked = check(plugin, values(email="jane@example.com", organizationId=ENGINE_UNKNOWN))
    assert not checked.failures, [f.reason for f in checked.failures]


def test_check_names_a_missing_organization_and_an_unknown_role(plugin: PolytomicProvider, org: str) -> None:
    gone = check(plugin, values(organizationId=MISSING, email="a@example.com")).failures or []
    assert [f.property for f in gone] == ["organizationId"]
    unknown = check(plugin, values(organizationId=org, email="a@example.com", role="Owner")).failures or []
    assert [f.property for f in unknown] == ["role"] and "'Member'" in unknown[0].reason


# -- create ------------------------------------------------------------------------------------------------


def test_create_returns_the_apis_answer_in_camel_case_under_the_users_own_id(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    inputs, made = create(plugin, organizationId=org, email="Jane@Example.com")
    admin = roles(partner_api, org)["Admin"]
    outs = plain(made.properties)
    assert {k: v for k, v in outs.items() if not k.startswith("__")} == {
        "email": "jane@example.com",
        "organizationId": org,
        "role": "admin",
        "roleIds": [admin],
    }
    assert [i["user_id"] for i in emulator.admin.invitations()] == [made.resource_id]
    (post,) = [e for e in emulator.admin.journal() if e["method"] == "POST" and e["path"].endswith("/users")]
    assert post["headers"]["idempotency-key"] == inputs[CREATE_KEY].value


@pytest.mark.parametrize("fault", [{"fail_next": 1, "fail_status": 503}, {"drop_after_next": 1}])
def test_a_retried_create_sends_exactly_one_invitation(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess, fault: dict[str, Any]
) -> None:
    inputs = check(plugin, values(organizationId=org, email="retry@example.com")).inputs or {}
    emulator.admin.set_faults(**fault, methods=["POST"])
    made = run(plugin.create(rpc.CreateRequest(URN, inputs, 60, False)))
    assert [i["user_id"] for i in emulator.admin.invitations()] == [made.resource_id]
    posts = [e for e in emulator.admin.journal() if e["method"] == "POST" and e["path"].endswith("/users")]
    assert len(posts) == 2 and {p["headers"]["idempotency-key"] for p in posts} == {inputs[CREATE_KEY].value}


def test_a_taken_email_stops_with_the_users_id_and_the_exact_import_command(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess
) -> None:
    _, existing = create(plugin, organizationId=org, email="taken@example.com")
    with pytest.raises(UserError) as failure:
        create(plugin, organizationId=org, email="TAKEN@example.com")
    message = str(failure.value)
    assert f"pulumi import polytomic:index:User <resource name> {org}/{existing.resource_id}" in message
    assert "adopt_id" not in message
    assert len(emulator.admin.invitations()) == 1


def test_a_forced_replacement_keeping_the_email_names_the_delete_first_option(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess
) -> None:
    """`pulumi up --replace` creates the replacement first (a targeted replacement never asks the provider's
    diff), while the old user still holds the email: the message names the deleteBeforeReplace option for
    that case before the import advice for the other."""
    inputs, made = create(plugin, organizationId=org, email="kept@example.com")
    replacing = configured(emulator.url)  # the next `up`, a provider process of its own
    check(replacing, values(organizationId=org, email="kept@example.com"), olds=inputs)
    again = check(replacing, values(organizationId=org, email="kept@example.com"))  # re-checked as new
    with pytest.raises(UserError) as failure:
        run(replacing.create(rpc.CreateRequest(URN, again.inputs or {}, 60, False)))
    message = str(failure.value)
    assert str(made.resource_id) in message and "If this create replaces this same resource" in message
    assert message.index("deleteBeforeReplace: true") < message.index("pulumi import")
    assert len(emulator.admin.invitations()) == 1


# -- diff and update --------------------------------------------------------------------------------------


def test_diff_is_detailed_per_property_and_replaces_on_another_email_or_organization(
    plugin: PolytomicProvider, org: str
) -> None:
    _, made = create(plugin, organizationId=org, email="diff@example.com")
    olds, user_id = made.properties, made.resource_id or ""

    def diff(**news: Any) -> rpc.DiffResponse:
        checked = check(plugin, values(organizationId=org, **news), olds=olds).inputs or {}
        return run(plugin.diff(rpc.DiffRequest(URN, user_id, olds, checked, [])))

    assert diff(email="DIFF@Example.com").changes is False, "a change of letter case is no change"
    role = diff(email="diff@example.com", role="Member")
    assert role.changes is True and role.replaces == [] and role.delete_before_replace is False
    assert {k: d.kind for k, d in role.detailed_diff.items()} == {"role": rpc.PropertyDiffKind.UPDATE}
    email = diff(email="other@example.com")
    assert email.replaces == ["email"]
    assert {k: d.kind for k, d in email.detailed_diff.items()} == {
        "email": rpc.PropertyDiffKind.UPDATE_REPLACE
    }
    elsewhere = {
        **values(organizationId=MISSING, email="diff@example.com"),
        RESOLVED_ROLE_IDS: olds["roleIds"],
    }
    moved = run(plugin.diff(rpc.DiffRequest(URN, user_id, olds, elsewhere, [])))
    assert moved.replaces == ["organizationId"]
    assert moved.detailed_diff["organizationId"].kind == rpc.PropertyDiffKind.UPDATE_REPLACE


def test_a_role_change_is_one_put_in_place(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    _, made = create(plugin, organizationId=org, email="Role@example.com")
    news = check(
        plugin, values(organizationId=org, email="Role@example.com", role="Member"), olds=made.properties
    )
    emulator.admin.clear_journal()
    request = rpc.UpdateRequest(
        URN, made.resource_id or "", made.properties, news.inputs or {}, 60, [], False
    )
    updated = plain(run(plugin.update(request)).properties)
    member = roles(partner_api, org)["Member"]
    assert updated["roleIds"] == [member] and updated["role"] == "user"
    assert writes(emulator) == [("PUT", f"/api/organizations/{org}/users/{made.resource_id}")]


# -- read, import and delete ------------------------------------------------------------------------------


def test_refresh_keeps_the_engines_inputs_and_records_drift(
    plugin: PolytomicProvider, org: str, partner_api: httpx.Client, emulator: EmulatorProcess
) -> None:
    inputs, made = create(plugin, organizationId=org, email="read@example.com")
    user_id = made.resource_id or ""
    same = run(plugin.read(rpc.ReadRequest(URN, user_id, made.properties, inputs)))
    assert same.resource_id == user_id and same.inputs == inputs
    partner_api.put(
        f"/api/organizations/{org}/users/{user_id}", json={"email": "read@example.com", "role": "user"}
    ).raise_for_status()
    next_run = configured(emulator.url)  # a new process: the last run's list is not its own
    drifted = run(next_run.read(rpc.ReadRequest(URN, user_id, made.properties, inputs)))
    assert plain(drifted.inputs)["roleIds"] == [roles(partner_api, org)["Member"]]


@pytest.mark.parametrize("form", ["id", "email"])
def test_import_by_organization_and_id_or_email_is_stored_under_the_users_id(
    plugin: PolytomicProvider, org: str, partner_api: httpx.Client, emulator: EmulatorProcess, form: str
) -> None:
    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": "outside@example.com"})
    user_id = made.json()["data"]["id"]
    emulator.admin.clear_journal()
    import_id = f"{org}/{user_id}" if form == "id" else f"{org}/OUTSIDE@Example.com"
    read = run(plugin.read(rpc.ReadRequest(URN, import_id, {}, {})))
    assert read.resource_id == user_id
    assert plain(read.inputs) == {  # no bookkeeping key: the import's check would refuse it
        "organizationId": org,
        "email": "outside@example.com",
        "roleIds": [roles(partner_api, org)["Admin"]],
    }
    assert writes(emulator) == [], "import must not write"
    # An `import` option of the user a removed resource held: the engine diffs the import, which keeps
    # the user, then deletes the old entry (another resource, another key), which leaves it to the import.
    new_urn = URN.replace("::jane", "::jane-imported")
    assert imported(plugin, new_urn, import_id)[1].changes is False
    old_entry = {**read.properties, CREATE_KEY: PropertyValue("pulumi-create-old-entry")}
    run(plugin.delete(rpc.DeleteRequest(URN, user_id, old_entry, 60)))
    assert writes(emulator) == []


def test_a_get_reference_spares_no_delete_of_the_user_it_reads(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """A program removes a user's resource and keeps a `get` of that user: the engine reads the `get` as
    it reads an import, and the delete goes ahead (a claim of the read spared it silently, leaving the
    user behind: review of #26)."""
    _, made = create(plugin, organizationId=org, email="removed@example.com")
    user_id = made.resource_id or ""
    removing = configured(emulator.url)
    run(removing.read(rpc.ReadRequest(URN.replace("::jane", "::ref"), f"{org}/{user_id}", {}, {})))
    run(removing.delete(rpc.DeleteRequest(URN, user_id, made.properties, 60)))
    assert partner_api.get(f"/api/organizations/{org}/users/{user_id}").status_code == 404


def imported(plugin: PolytomicProvider, urn: str, import_id: str) -> tuple[str, rpc.DiffResponse]:
    """An import as the engine runs it: the read of the id the user named, then the check and the diff of
    the inputs it answered (which stop an import of a user another resource of the run holds)."""
    read = run(plugin.read(rpc.ReadRequest(urn, import_id, {}, {})))
    user_id = read.resource_id or ""
    checked = run(plugin.check(rpc.CheckRequest(urn, read.inputs, read.inputs, b""))).inputs or {}
    return user_id, run(plugin.diff(rpc.DiffRequest(urn, user_id, read.properties, checked, [])))


def test_two_resources_importing_one_user_are_refused_naming_both(
    plugin: PolytomicProvider, org: str, partner_api: httpx.Client
) -> None:
    made = partner_api.post(f"/api/organizations/{org}/users", json={"email": "twice@example.com"})
    user_id = made.json()["data"]["id"]
    assert imported(plugin, URN, f"{org}/{user_id}")[1].changes is False
    other = URN.replace("::jane", "::jane-again")
    with pytest.raises(UserError) as failure:
        imported(plugin, other, f"{org}/twice@example.com")
    message = str(failure.value)
    assert f"user {user_id} is claimed by two resources of this stack: {URN} and {other}" in message


def test_importing_the_stacks_own_user_under_another_name_is_refused(
    plugin: PolytomicProvider, org: str
) -> None:
    inputs, made = create(plugin, organizationId=org, email="held@example.com")
    user_id = made.resource_id or ""
    plugin._runtime.new_operation()  # a later `up`: the stack's resource is diffed, another imports it
    run(plugin.diff(rpc.DiffRequest(URN, user_id, made.properties, inputs, [])))
    other = URN.replace("::jane", "::jane-again")
    with pytest.raises(UserError, match=f"user {user_id} is claimed by two resources of this stack: {URN}"):
        imported(plugin, other, f"{org}/{user_id}")


def test_a_get_reference_to_the_stacks_own_user_reads_it_with_the_same_key_every_run(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess
) -> None:
    """The engine reads a `get` reference as it reads an import (no properties): a `get` of the user a
    resource of the stack holds is no second holder (every preview failed, review of #26), and its
    outputs record the same key on every run (a new one each run would rewrite the state)."""
    inputs, made = create(plugin, organizationId=org, email="referenced@example.com")
    user_id = made.resource_id or ""
    keys = []
    for _ in range(2):
        upping = configured(emulator.url)  # an `up`: the holder is diffed, the reference read
        assert run(upping.diff(rpc.DiffRequest(URN, user_id, made.properties, inputs, []))).changes is False
        reference = URN.replace("::jane", "::reference")
        ref = run(upping.read(rpc.ReadRequest(reference, f"{org}/{user_id}", {}, {})))
        assert ref.resource_id == user_id
        keys.append(plain(ref.properties)[CREATE_KEY])
    assert keys[0] == keys[1] != plain(made.properties)[CREATE_KEY]


def test_removing_an_imported_twin_leaves_the_user_to_the_resource_that_keeps_it(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """A CLI `pulumi import` of a user the stack holds, under another name, diffs no holder, so it is not
    refused: two resources hold one user. The next `up`, without the twin, diffs the holder (it keeps the
    user) and deletes the twin: that delete must leave the user to the holder."""
    inputs, made = create(plugin, organizationId=org, email="shared@example.com")
    user_id, olds = made.resource_id or "", made.properties
    twin_urn = URN.replace("::jane", "::twin")
    importing = configured(emulator.url)  # `pulumi import polytomic:index:User twin <org>/<email>`
    twin = run(importing.read(rpc.ReadRequest(twin_urn, f"{org}/shared@example.com", {}, {})))
    assert twin.resource_id == user_id
    removing = configured(emulator.url)  # `up` with the twin removed from the program
    checked = check(removing, values(organizationId=org, email="shared@example.com"), olds=inputs).inputs
    assert run(removing.diff(rpc.DiffRequest(URN, user_id, olds, checked or {}, []))).changes is False
    run(removing.delete(rpc.DeleteRequest(twin_urn, user_id, twin.properties, 60)))
    assert partner_api.get(f"/api/organizations/{org}/users/{user_id}").status_code == 200, "left to it"
    later = configured(emulator.url)  # the holder lives on: a role change
    news = check(later, values(organizationId=org, email="shared@example.com", role="Member"), olds=inputs)
    request = rpc.UpdateRequest(URN, user_id, olds, news.inputs or {}, 60, [], False)
    assert plain(run(later.update(request)).properties)["role"] == "user"


@pytest.mark.parametrize("organization", ["known", "unknown", "known, renamed with an alias"])
def test_a_replacement_after_a_diff_that_kept_or_replaced_the_user_deletes_its_old_user(
    plugin: PolytomicProvider,
    org: str,
    emulator: EmulatorProcess,
    partner_api: httpx.Client,
    organization: str,
) -> None:
    """The engine replaces what the diff kept (`replaceOnChanges: [role]` with `deleteBeforeReplace`), or
    diffs a dependent of a delete-first replacement twice (its organization unknown, then as itself with
    another email): either way the resource's own delete of its old user goes ahead. Renamed with an alias,
    the resource is diffed under its new URN and its old self deleted under the old one (review of #26)."""
    inputs, made = create(plugin, organizationId=org, email="forced@example.com")
    user_id, olds = made.resource_id or "", made.properties
    replacing = configured(emulator.url)
    diffed_as = URN.replace("::jane", "::jane-renamed") if "alias" in organization else URN

    def diff(**news: Any) -> rpc.DiffResponse:
        checked = check(replacing, values(**news), olds=inputs).inputs or {}
        return run(replacing.diff(rpc.DiffRequest(diffed_as, user_id, olds, checked, [])))

    if organization != "unknown":
        assert diff(organizationId=org, email="forced@example.com", role="Member").replaces == []
    else:
        unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown
        assert diff(organizationId=unknown, email="forced@example.com").replaces == ["organizationId"]
        assert diff(organizationId=org, email="moved@example.com").replaces == ["email"]
    run(replacing.delete(rpc.DeleteRequest(URN, user_id, olds, 60)))
    assert partner_api.get(f"/api/organizations/{org}/users/{user_id}").status_code == 404
    again = check(replacing, values(organizationId=org, email="forced@example.com")).inputs or {}
    remade = run(replacing.create(rpc.CreateRequest(URN, again, 60, False)))
    assert remade.resource_id not in (None, user_id)


@pytest.mark.parametrize(
    ("import_id", "words"),
    [
        ("just-an-id", "is not <organization id>/<user id> or <organization id>/<email>"),
        ("{org}/nobody@example.com", "no user with email 'nobody@example.com'"),
        (f"{{org}}/{MISSING}", f"no user with id '{MISSING}'"),
        (f"{MISSING}/a@example.com", f"no organization with id {MISSING}"),
    ],
)
def test_an_import_id_that_names_no_user_fails_saying_which(
    plugin: PolytomicProvider, org: str, import_id: str, words: str
) -> None:
    with pytest.raises(UserError, match=words.replace("(", r"\(").replace("[", r"\[")):
        run(plugin.read(rpc.ReadRequest(URN, import_id.format(org=org), {}, {})))


def test_delete_then_refresh_drops_it_and_a_second_delete_is_fine(
    plugin: PolytomicProvider, org: str, emulator: EmulatorProcess
) -> None:
    inputs, made = create(plugin, organizationId=org, email="gone@example.com")
    user_id = made.resource_id or ""
    plugin._runtime.new_operation()  # a later operation: the create's claim is not remembered
    run(plugin.delete(rpc.DeleteRequest(URN, user_id, made.properties, 60)))
    assert run(plugin.read(rpc.ReadRequest(URN, user_id, made.properties, inputs))).resource_id is None
    run(plugin.delete(rpc.DeleteRequest(URN, user_id, made.properties, 60)))
    path = f"/api/organizations/{org}/users/{user_id}"
    assert [w for w in writes(emulator) if w[0] == "DELETE"] == [("DELETE", path)] * 2


# -- functions --------------------------------------------------------------------------------------------


def test_get_user_and_get_users_answer_from_the_core_lookups(plugin: PolytomicProvider, org: str) -> None:
    _, made = create(plugin, organizationId=org, email="find@example.com")

    def invoke(token: str, **args: Any) -> rpc.InvokeResponse:
        return run(plugin.invoke(rpc.InvokeRequest(f"polytomic:index:{token}", values(**args))))

    by_id = plain(invoke("getUser", organizationId=org, id=made.resource_id).return_value or {})
    by_email = plain(invoke("getUser", organizationId=org, email="FIND@example.com").return_value or {})
    assert by_id == by_email and by_id["id"] == made.resource_id and by_id["role"] == "admin"
    listed = (invoke("getUsers", organizationId=org).return_value or {})["users"].value
    assert [item.value["email"].value for item in listed] == ["find@example.com"]  # type: ignore[union-attr, index]
    assert [f.property for f in invoke("getUser", organizationId=org).failures or []] == ["id"]
    assert [f.property for f in invoke("getUsers").failures or []] == ["organizationId"]
    with pytest.raises(UserLookupError, match="no user with email"):
        invoke("getUser", organizationId=org, email="nobody@example.com")
