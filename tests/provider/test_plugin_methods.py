"""The provider plugin's methods (polytomic_provider/plugin/provider.py) against a live emulator, in process.

Requests are built as the engine sends them (PropertyValues, camelCase names); API calls are read from the
emulator's journal. The end-to-end runs through the real CLI are in tests/e2e/test_plugin.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue, PropertyValueType

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import bridge
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.plugin.properties import engine_value
from polytomic_provider.plugin.provider import ORGANIZATION, PolytomicProvider
from polytomic_provider.queries import OrganizationLookupError
from tests.support import CLIENT_SECRET, PARTNER_KEY

URN = f"urn:pulumi:test::project::{ORGANIZATION}::acme"
_T = TypeVar("_T")


def run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """One event loop for every call of a test, as the plugin's server has: its client lives on it."""
    return bridge.run(coroutine)


def values(**props: Any) -> dict[str, PropertyValue]:
    """Engine properties; `clientSecret` arrives as a secret, as a program declares it."""
    converted = {key: engine_value(value) for key, value in props.items()}
    if "clientSecret" in converted:
        converted["clientSecret"] = converted["clientSecret"].with_secret(True)
    return converted


def configured(url: str, **extra: Any) -> PolytomicProvider:
    plugin = PolytomicProvider()
    args = values(partnerKey=PARTNER_KEY, deploymentUrl=url, maxAttempts=3, **extra)
    run(plugin.configure(rpc.ConfigureRequest({}, args, accept_secrets=True, accept_resources=False)))
    return plugin


def check(plugin: PolytomicProvider, news: dict[str, PropertyValue], olds: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    return run(plugin.check(rpc.CheckRequest(URN, olds or {}, news, b"")))


def create(plugin: PolytomicProvider, **props: Any) -> rpc.CreateResponse:
    checked = check(plugin, values(**props))
    assert not checked.failures, [f.reason for f in checked.failures]
    return run(plugin.create(rpc.CreateRequest(URN, checked.inputs or {}, 60, False)))


def writes(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal() if e["method"] in ("POST", "PUT", "DELETE")]


OIDC = {"clientId": "cid", "clientSecret": CLIENT_SECRET, "issuer": "https://idp.example.com"}


def test_create_keys_a_new_resource_and_returns_every_output_the_secret_kept_secret(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    made = create(plugin, name="Acme", ssoDomain="acme.example.com", **OIDC)
    outs = made.properties
    assert outs["name"].value == "Acme" and outs["ssoDomain"].value == "acme.example.com"
    assert outs["clientSecret"].value == CLIENT_SECRET and outs["clientSecret"].is_secret
    assert outs["clientId"].value == "cid" and not outs["clientId"].is_secret
    (post,) = writes(emulator)
    assert post["method"] == "POST" and post["headers"].get("idempotency-key", "").startswith(
        "pulumi-create-"
    )


def test_check_draws_a_create_key_only_for_a_resource_not_yet_in_the_stack(plugin: PolytomicProvider) -> None:
    new = check(plugin, values(name="Acme"))
    assert CREATE_KEY in (new.inputs or {})
    stored = values(name="Acme")
    again = check(plugin, values(name="Acme"), olds=stored)
    assert CREATE_KEY not in (again.inputs or {})


def test_check_of_a_resource_in_the_stack_keeps_its_stored_inputs_whole(plugin: PolytomicProvider) -> None:
    """The program never writes the create key, so dropping it would change the stored inputs on every
    run, and the engine rewrites the whole state file for each resource whose inputs changed (quadratic
    in the stack's size, even in a preview)."""
    created = check(plugin, values(name="Acme")).inputs or {}
    again = check(plugin, values(name="Acme"), olds=created).inputs or {}
    assert again == created
    assert again[CREATE_KEY].value == created[CREATE_KEY].value


def test_check_passes_unknown_values_through_and_keeps_secrets_secret(plugin: PolytomicProvider) -> None:
    news = {
        **values(name="Acme", clientId="cid", clientSecret=CLIENT_SECRET),
        "issuer": PropertyValue.computed(),
    }
    checked = check(plugin, news)
    assert not checked.failures, [f.reason for f in checked.failures]
    inputs = checked.inputs or {}
    assert inputs["issuer"].type == PropertyValueType.COMPUTED  # (Computed's own == is broken in the SDK)
    assert inputs["clientSecret"].is_secret


def test_diff_names_each_changed_field_with_its_kind_and_ignores_what_the_program_ignores(
    plugin: PolytomicProvider, account: str
) -> None:
    olds = values(name="Acme", ssoDomain="a.example.com", ssoOrgId="org_1", __account=account)
    news = values(name="Acme 2", issuer="https://idp.example.com", ssoOrgId="org_1")

    def diff(ignore: list[str]) -> rpc.DiffResponse:
        return run(plugin.diff(rpc.DiffRequest(URN, "id", olds, news, ignore)))

    answer = diff([])
    assert answer.changes is True and answer.delete_before_replace is True
    kinds = {key: d.kind for key, d in answer.detailed_diff.items()}
    assert kinds == {
        "name": rpc.PropertyDiffKind.UPDATE,
        "issuer": rpc.PropertyDiffKind.ADD,
        "ssoDomain": rpc.PropertyDiffKind.DELETE,
    }
    assert sorted(diff(["name", "issuer", "ssoDomain"]).diffs) == []
    assert diff(["name", "issuer", "ssoDomain"]).changes is False


def test_a_create_that_comes_with_a_stored_key_never_sends_it_again(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    """The engine checks a replacement again without its old inputs (a fresh key); should inputs that
    carry the stored key ever reach a create, that key was spent, and a key of its own is sent instead."""
    checked = check(plugin, values(name="Replaced")).inputs or {}
    original = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    plugin._runtime.new_operation()  # the replacement comes in a later operation
    run(plugin.delete(rpc.DeleteRequest(URN, original.resource_id, original.properties or {}, 60)))
    again = check(plugin, values(name="Replaced"), olds=checked).inputs or {}
    assert again[CREATE_KEY].value == checked[CREATE_KEY].value
    replacement = run(plugin.create(rpc.CreateRequest(URN, again, 60, False)))
    assert replacement.resource_id != original.resource_id
    keys = [e["headers"]["idempotency-key"] for e in emulator.admin.journal() if e["method"] == "POST"]
    assert len(keys) == 2 and keys[0] == checked[CREATE_KEY].value and keys[1] != keys[0]


def test_diff_of_an_unchanged_resource_is_no_change_whatever_its_create_key(
    plugin: PolytomicProvider, account: str
) -> None:
    olds = values(name="Acme", ssoDomain="a.example.com", __account=account)
    news = {**values(name="Acme", ssoDomain="a.example.com"), CREATE_KEY: PropertyValue("pulumi-create-x")}
    assert run(plugin.diff(rpc.DiffRequest(URN, "id", olds, news, []))).changes is False


def test_update_sends_the_whole_payload_secret_included(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    made = create(plugin, name="Acme", ssoDomain="a.example.com", **OIDC)
    emulator.admin.clear_journal()
    news = values(name="Acme", ssoDomain="b.example.com", **OIDC)
    updated = run(
        plugin.update(rpc.UpdateRequest(URN, made.resource_id or "", made.properties, news, 60, [], False))
    )
    assert updated.properties["ssoDomain"].value == "b.example.com"
    assert updated.properties["clientSecret"].is_secret
    (put,) = writes(emulator)
    assert put["method"] == "PUT"
    assert put["body"] == {
        "name": "Acme",
        "sso_domain": "b.example.com",
        "client_id": "cid",
        "client_secret": "<redacted>",
        "issuer": "https://idp.example.com",
    }


def test_read_for_import_returns_the_live_inputs_and_a_missing_id_fails_naming_it(
    plugin: PolytomicProvider, partner_api: httpx.Client, account: str
) -> None:
    made = partner_api.post("/api/organizations", json={"name": "Outside", "sso_domain": "o.example.com"})
    organization_id = made.json()["data"]["id"]
    imported = run(plugin.read(rpc.ReadRequest(URN, organization_id, {}, {})))
    assert imported.resource_id == organization_id
    # No bookkeeping key in the inputs: the engine checks an import's inputs, and check refuses one
    # ("One or more imported inputs failed to validate"); the account is in the outputs, and check
    # records it in the inputs.
    assert {k: v.value for k, v in imported.inputs.items()} == {
        "name": "Outside",
        "ssoDomain": "o.example.com",
    }
    assert imported.properties["__account"].value == account
    checked = run(plugin.check(rpc.CheckRequest(URN, imported.inputs, imported.inputs, b"")))
    assert not checked.failures and (checked.inputs or {})["__account"].value == account
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(Exception, match=f"no organization with id '{missing}'"):
        run(plugin.read(rpc.ReadRequest(URN, missing, {}, {})))


def test_refresh_keeps_the_engines_inputs_of_an_unchanged_organization_and_records_drift(
    plugin: PolytomicProvider, emulator: EmulatorProcess, partner_api: httpx.Client, account: str
) -> None:
    checked = check(plugin, values(name="Steady", ssoDomain="s.example.com"))
    made = run(plugin.create(rpc.CreateRequest(URN, checked.inputs or {}, 60, False)))
    organization_id = made.resource_id or ""
    stored_inputs = checked.inputs or {}
    unchanged = run(plugin.read(rpc.ReadRequest(URN, organization_id, made.properties, stored_inputs)))
    assert unchanged.inputs == stored_inputs, "as stored: the engine's inputs come back, key included"
    partner_api.put(f"/api/organizations/{organization_id}", json={"name": "Drifted"}).raise_for_status()
    next_run = configured(emulator.url)  # a new provider process: the last run's list is not its own
    drifted = run(next_run.read(rpc.ReadRequest(URN, organization_id, made.properties, stored_inputs)))
    assert {k: v.value for k, v in (drifted.inputs or {}).items()} == {
        "name": "Drifted",
        "__account": account,
    }


def test_refresh_of_an_organization_deleted_outside_drops_it_and_delete_of_a_gone_one_succeeds(
    plugin: PolytomicProvider, partner_api: httpx.Client
) -> None:
    made = create(plugin, name="Gone soon")
    organization_id = made.resource_id or ""
    partner_api.delete(f"/api/organizations/{organization_id}").raise_for_status()
    refreshed = run(plugin.read(rpc.ReadRequest(URN, organization_id, made.properties, made.properties)))
    assert refreshed.resource_id is None
    run(plugin.delete(rpc.DeleteRequest(URN, organization_id, made.properties, 60)))


def test_a_taken_name_stops_with_the_holders_id_and_the_import_command(
    plugin: PolytomicProvider, partner_api: httpx.Client
) -> None:
    holder = partner_api.post("/api/organizations", json={"name": "Taken"}).json()["data"]["id"]
    with pytest.raises(Exception) as failure:
        create(plugin, name="Taken")
    message = str(failure.value)
    assert holder in message and "pulumi import polytomic:index:Organization" in message
    assert "adopt_id" not in message


def test_functions_answer_by_id_by_name_and_for_the_whole_account(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    made = create(plugin, name="Findable", ssoDomain="f.example.com")

    def invoke(token: str, **args: Any) -> rpc.InvokeResponse:
        return run(plugin.invoke(rpc.InvokeRequest(f"polytomic:index:{token}", values(**args))))

    by_id = invoke("getOrganization", id=made.resource_id).return_value or {}
    by_name = invoke("getOrganization", name="Findable").return_value or {}
    assert by_id == by_name and by_id["ssoDomain"].value == "f.example.com"
    listed = (invoke("getOrganizations", nameFilter="findab").return_value or {})["organizations"].value
    assert [item.value["name"].value for item in listed] == ["Findable"]  # type: ignore[union-attr, index]
    current = invoke("getCurrentOrganization").return_value or {}
    assert current["id"].value == next(o["id"] for o in emulator.admin.organizations() if o["is_owner"])
    assert [f.property for f in invoke("getOrganization").failures] == ["id"]
    with pytest.raises(OrganizationLookupError, match="no organization named 'Nobody'"):
        invoke("getOrganization", name="Nobody")


def test_calls_run_concurrently_beyond_the_dynamic_hosts_four(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    """Sixteen creates at once are sixteen requests in flight on one client, not four at a time."""
    in_flight = 0
    peak = 0
    client = plugin._runtime.client()
    real = client._http._transport

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            try:
                return await real.handle_async_request(request)
            finally:
                in_flight -= 1

    client._http._transport = Counting()
    emulator.admin.set_faults(latency_ms=300)
    requests = [check(plugin, values(name=f"Parallel {i}")).inputs or {} for i in range(16)]

    async def all_at_once() -> list[rpc.CreateResponse]:
        return await asyncio.gather(*(plugin.create(rpc.CreateRequest(URN, r, 60, False)) for r in requests))

    made = run(all_at_once())
    assert len({m.resource_id for m in made}) == 16
    assert peak == 16


def test_bad_settings_fail_in_check_config_naming_the_setting(emulator: EmulatorProcess) -> None:
    plugin = PolytomicProvider()
    news = values(partnerKey=PARTNER_KEY, deploymentUrl="https://admin:hunter2@example.com", maxAttempts=2.5)
    answer = run(plugin.check_config(rpc.CheckRequest("urn:provider", {}, news, b"")))
    # No property named: the engine would print its value (a URL's password, the key) beside it.
    assert [f.property for f in answer.failures or []] == ["", ""]
    reasons = " ".join(f.reason for f in answer.failures or [])
    assert "polytomic:deploymentUrl" in reasons and "polytomic:maxAttempts" in reasons
    assert "hunter2" not in reasons and PARTNER_KEY not in reasons
    assert (answer.inputs or {})["partnerKey"].is_secret, "the key is stored as a secret however given"


def test_a_missing_key_fails_each_resource_check_naming_the_setting(emulator: EmulatorProcess) -> None:
    plugin = PolytomicProvider()
    args = values(deploymentUrl=emulator.url)
    run(plugin.configure(rpc.ConfigureRequest({}, args, accept_secrets=True, accept_resources=False)))
    failures = check(plugin, values(name="Acme")).failures or []
    assert [f.property for f in failures] == ["polytomic:partnerKey"]
    assert emulator.admin.journal() == []


def test_a_property_in_python_spelling_is_not_taken_for_the_schemas(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    failures = check(plugin, values(name="Acme", sso_domain="example.com")).failures or []
    # The reason names it; no property is named, so the engine prints no value beside it.
    assert [(f.property, f.reason) for f in failures] == [
        ("", "sso_domain is not a property of Organization: write it ssoDomain")
    ]
    assert emulator.admin.journal() == []


@pytest.mark.parametrize(
    "spelling", ["client_secret", "ClientSecret", "CLIENT-SECRET", "partner_key", "clientSecrt", "apiKey"]
)
def test_a_secret_in_another_spelling_is_refused_without_naming_the_property(
    plugin: PolytomicProvider, emulator: EmulatorProcess, spelling: str
) -> None:
    """The engine prints a failure as "property P value {V} has a problem": for a property whose value may
    be a secret, however it is spelt, the failure names no property, so the value is never printed."""
    failures = check(plugin, values(name="Acme", **{spelling: CLIENT_SECRET})).failures or []
    assert failures, "a misspelt secret must not be ignored: the organization would lose its OIDC secret"
    assert [f.property for f in failures] == [""] * len(failures)
    assert any(spelling in f.reason for f in failures), failures
    assert all(CLIENT_SECRET not in f.reason for f in failures)
    assert emulator.admin.journal() == []


def test_settings_fall_back_to_the_environment_like_the_dynamic_provider(
    emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No provider inputs at all: the key and the URL come from POLYTOMIC_PARTNER_KEY and
    POLYTOMIC_DEPLOYMENT_URL, as for the dynamic provider and the Terraform provider."""
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("POLYTOMIC_DEPLOYMENT_URL", emulator.url)
    plugin = PolytomicProvider()
    run(plugin.configure(rpc.ConfigureRequest({}, {}, accept_secrets=True, accept_resources=False)))
    made = create(plugin, name="From the environment")
    assert made.resource_id in {o["id"] for o in emulator.admin.organizations()}


def test_a_secret_given_in_clear_text_is_made_secret_and_its_failure_never_names_the_property(
    plugin: PolytomicProvider,
) -> None:
    """SDKs other than YAML's send what the program gave: a plain string must still be stored as a secret,
    and a failure must not name the property (the engine would print the value beside it)."""
    plain = {key: engine_value(value) for key, value in {"name": "Acme", **OIDC}.items()}
    assert not plain["clientSecret"].is_secret
    checked = check(plugin, plain)
    assert (checked.inputs or {})["clientSecret"].is_secret
    made = run(plugin.create(rpc.CreateRequest(URN, checked.inputs or {}, 60, False)))
    assert made.properties["clientSecret"].is_secret
    bad = {**plain, "clientSecret": engine_value(CLIENT_SECRET + "\t")}
    failures = check(plugin, bad).failures or []
    assert [f.property for f in failures] == [""] and "clientSecret" in failures[0].reason


def test_the_dynamic_providers_adopt_id_and_bookkeeping_keys_are_refused(plugin: PolytomicProvider) -> None:
    failures = check(plugin, values(name="Acme", adopt_id="some-id", __create_key="pulumi-create-x")).failures
    reasons = {f.reason.split(" ", 1)[0]: f.reason for f in failures or []}
    assert set(reasons) == {"adopt_id", "__create_key"}
    assert [f.property for f in failures or []] == ["", ""]
    assert "pulumi import polytomic:index:Organization" in reasons["adopt_id"]


def test_ignore_changes_in_another_spelling_does_not_hide_a_change(
    plugin: PolytomicProvider, account: str
) -> None:
    """The engine applies `ignoreChanges` to the inputs by the schema's names; `sso_domain` matched
    nothing there, so the change is real and the diff must show it."""
    olds = values(name="Acme", ssoDomain="a.example.com", __account=account)
    news = values(name="Acme", ssoDomain="b.example.com")
    answer = run(plugin.diff(rpc.DiffRequest(URN, "id", olds, news, ["sso_domain"])))
    assert answer.diffs == ["ssoDomain"]


def test_an_imported_organization_is_spared_by_the_same_operations_delete_of_its_old_entry(
    plugin: PolytomicProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """`import:` of the organization a removed resource held: the engine imports it under the new name
    (a read, then the diff that keeps it), then deletes the old entry, the same organization."""
    existing = partner_api.post("/api/organizations", json={"name": "Moved"}).json()["data"]["id"]
    new_urn = URN.replace("::acme", "::moved")
    read = run(plugin.read(rpc.ReadRequest(new_urn, existing, {}, {})))
    checked = run(plugin.check(rpc.CheckRequest(new_urn, read.inputs, read.inputs, b"")))
    assert not checked.failures, [f.reason for f in checked.failures]  # no bookkeeping key refused
    diffed = run(plugin.diff(rpc.DiffRequest(new_urn, existing, read.properties, checked.inputs or {}, [])))
    assert diffed.changes is False
    run(plugin.delete(rpc.DeleteRequest(URN, existing, values(name="Moved"), 60)))
    assert existing in {o["id"] for o in emulator.admin.organizations()}


def test_a_get_reference_spares_no_delete_of_the_organization_it_reads(
    plugin: PolytomicProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """A program removes an organization's resource and keeps a `get` of it: the engine reads the `get` as
    it reads an import, and the delete goes ahead (a claim of the read spared it silently, leaving the
    organization behind: review of #26)."""
    checked = check(plugin, values(name="Removed")).inputs or {}
    made = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    organization_id = made.resource_id or ""
    removing = configured(emulator.url)
    run(removing.read(rpc.ReadRequest(URN.replace("::acme", "::ref"), organization_id, {}, {})))
    run(removing.delete(rpc.DeleteRequest(URN, organization_id, made.properties, 60)))
    assert partner_api.get(f"/api/organizations/{organization_id}").status_code == 404


# -- two resources holding one organization -----------------------------------------------------------------


def test_removing_an_imported_twin_leaves_the_organization_to_the_resource_that_keeps_it(
    plugin: PolytomicProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """A CLI `pulumi import` of an organization the stack holds, under another name, diffs no holder, so it
    is not refused: two resources hold one organization. The next `up`, without the twin, diffs the holder
    (it keeps the organization) and deletes the twin: that delete must leave the organization to it."""
    checked = check(plugin, values(name="Shared")).inputs or {}
    made = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    organization_id, olds = made.resource_id or "", made.properties
    twin_urn = URN.replace("::acme", "::twin")
    importing = configured(emulator.url)  # `pulumi import polytomic:index:Organization twin <id>`
    twin = run(importing.read(rpc.ReadRequest(twin_urn, organization_id, {}, {})))
    assert twin.resource_id == organization_id
    removing = configured(emulator.url)  # `up` with the twin removed from the program
    news = check(removing, values(name="Shared"), olds=checked).inputs or {}
    assert run(removing.diff(rpc.DiffRequest(URN, organization_id, olds, news, []))).changes is False
    run(removing.delete(rpc.DeleteRequest(twin_urn, organization_id, twin.properties, 60)))
    assert partner_api.get(f"/api/organizations/{organization_id}").status_code == 200, "left to it"
    destroying = configured(emulator.url)  # the holder is still the stack's to delete
    run(destroying.delete(rpc.DeleteRequest(URN, organization_id, olds, 60)))
    assert partner_api.get(f"/api/organizations/{organization_id}").status_code == 404


@pytest.mark.parametrize("renamed", [False, True], ids=["same name", "renamed with an alias"])
def test_a_replacement_the_engine_forces_after_a_diff_that_kept_the_organization_deletes_it(
    plugin: PolytomicProvider, emulator: EmulatorProcess, partner_api: httpx.Client, renamed: bool
) -> None:
    """`pulumi up --replace <urn>` (or `replaceOnChanges`): the diff finds nothing to replace, the engine
    replaces anyway, deleting first. The resource's own diff never spares its own delete, even when it is
    renamed with an alias: diffed under the new URN, its old self deleted under the old one."""
    checked = check(plugin, values(name="Forced")).inputs or {}
    made = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    organization_id, olds = made.resource_id or "", made.properties
    replacing = configured(emulator.url)
    news = check(replacing, values(name="Forced"), olds=checked).inputs or {}
    diffed_as = URN.replace("::acme", "::acme-renamed") if renamed else URN
    assert run(replacing.diff(rpc.DiffRequest(diffed_as, organization_id, olds, news, []))).changes is False
    run(replacing.delete(rpc.DeleteRequest(URN, organization_id, olds, 60)))
    assert partner_api.get(f"/api/organizations/{organization_id}").status_code == 404
    again = check(replacing, values(name="Forced")).inputs or {}
    remade = run(replacing.create(rpc.CreateRequest(URN, again, 60, False)))
    assert remade.resource_id not in (None, organization_id)


def test_importing_the_stacks_own_organization_under_another_name_is_refused(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    """An `import` resource option in a full `up` naming the organization the stack's resource holds (and
    diffs in the same run): the import read stops, naming both resources."""
    checked = check(plugin, values(name="Held")).inputs or {}
    made = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    organization_id, olds = made.resource_id or "", made.properties
    upping = configured(emulator.url)
    news = check(upping, values(name="Held"), olds=checked).inputs or {}
    run(upping.diff(rpc.DiffRequest(URN, organization_id, olds, news, [])))
    other = URN.replace("::acme", "::other")
    read = run(upping.read(rpc.ReadRequest(other, organization_id, {}, {})))  # a `get` reads alike
    imported = run(upping.check(rpc.CheckRequest(other, read.inputs, read.inputs, b""))).inputs or {}
    with pytest.raises(Exception, match="claimed by two resources") as failure:
        run(upping.diff(rpc.DiffRequest(other, organization_id, read.properties, imported, [])))
    assert URN in str(failure.value) and other in str(failure.value)


def test_a_get_reference_to_the_stacks_own_organization_reads_it_with_the_same_key_every_run(
    plugin: PolytomicProvider, emulator: EmulatorProcess
) -> None:
    """The engine reads a `get` reference as it reads an import (no properties): a `get` of the
    organization a resource of the stack holds is no second holder (every preview failed, review of
    #26), and its outputs record the same key on every run (a new one each run would rewrite the state)."""
    checked = check(plugin, values(name="Referenced")).inputs or {}
    made = run(plugin.create(rpc.CreateRequest(URN, checked, 60, False)))
    organization_id, olds = made.resource_id or "", made.properties
    keys = []
    for _ in range(2):
        upping = configured(emulator.url)  # an `up`: the holder is diffed, the reference read
        news = check(upping, values(name="Referenced"), olds=checked).inputs or {}
        assert run(upping.diff(rpc.DiffRequest(URN, organization_id, olds, news, []))).changes is False
        ref = run(upping.read(rpc.ReadRequest(URN.replace("::acme", "::ref"), organization_id, {}, {})))
        assert ref.resource_id == organization_id
        keys.append(ref.properties[CREATE_KEY].value)
    assert keys[0] == keys[1] != olds[CREATE_KEY].value
