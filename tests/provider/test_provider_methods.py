"""OrganizationProvider's methods called directly, as the provider host calls them, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.operations import OrganizationError
from polytomic_provider.provider import CREATE_KEY, OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from tests.support import API_KEY, CLIENT_SECRET, configure

OIDC_PROPS: dict[str, Any] = {
    "name": "Acme",
    "client_id": "acme-client",
    "client_secret": CLIENT_SECRET,
    "issuer": "https://login.acme.example.com",
    "sso_domain": "acme.example.com",
    "sso_org_id": "org_acme",
}


def api_calls(emulator: EmulatorProcess) -> list[tuple[str, str, int]]:
    return [(e["method"], e["path"], e["status"]) for e in emulator.admin.journal()]


def children(emulator: EmulatorProcess) -> list[dict[str, Any]]:
    return [o for o in emulator.admin.organizations() if not o["is_owner"]]


@pytest.fixture
def stored(account: str) -> dict[str, Any]:
    """Stored outputs of an organization this provider's account holds."""
    return {**OIDC_PROPS, "__account": account}


def warm_up(provider: OrganizationProvider) -> None:
    """Look the account up now (one GET per process), so that a test's faults meet its own requests."""
    assert provider.check({}, {"name": "Warm-up"}).failures == []


# -- check ---------------------------------------------------------------------------------------------


def test_check_accepts_valid_inputs_and_records_the_account_with_one_read(
    provider: OrganizationProvider, emulator: EmulatorProcess, account: str
) -> None:
    result = provider.check({}, dict(OIDC_PROPS))
    assert result.failures == []
    assert {k: v for k, v in result.inputs.items() if k != CREATE_KEY} == {**OIDC_PROPS, "__account": account}
    provider.check({}, {"name": "Another"})
    assert api_calls(emulator) == [("GET", "/api/organization", 200)], "one lookup per process"


def test_check_lets_unknown_values_through(provider: OrganizationProvider) -> None:
    news = {"name": Unknown(), "client_id": "c", "client_secret": Unknown(), "issuer": Unknown()}
    result = provider.check({}, news)
    assert result.failures == []
    assert isinstance(result.inputs["name"], Unknown)


def test_check_reports_each_bad_property(provider: OrganizationProvider, emulator: EmulatorProcess) -> None:
    news = {
        "name": " ",
        "issuer": "http://insecure.example.com",
        "sso_domain": "not a domain",
        "colour": "red",
    }
    failures = {f.property: f.reason for f in provider.check({}, news).failures}
    assert set(failures) == {"name", "issuer", "sso_domain", "colour"}
    assert "https" in failures["issuer"]
    assert api_calls(emulator) == []


def test_check_without_a_key_names_the_setting(emulator: EmulatorProcess) -> None:
    configure(emulator.url, key=None)
    failures = OrganizationProvider().check({}, {"name": "Acme"}).failures
    assert [f.property for f in failures] == ["polytomic:partnerKey"]
    assert "POLYTOMIC_PARTNER_KEY" in failures[0].reason


# -- diff ----------------------------------------------------------------------------------------------


def test_diff_of_identical_state_is_no_change(provider: OrganizationProvider, stored: dict[str, Any]) -> None:
    olds = {**stored, "__provider": "old-serialized-form", "__create_scope": "left by 0.1.0"}
    news = {
        **OIDC_PROPS,
        "__provider": "new-serialized-form",
        CREATE_KEY: "pulumi-create-new",
        "adopt_id": "x",
    }
    result = provider.diff("id", olds, news)
    assert result.changes is False and result.replaces == []


@pytest.mark.parametrize(
    "field", ["name", "client_id", "client_secret", "issuer", "sso_domain", "sso_org_id"]
)
def test_diff_of_a_changed_field_lets_the_engine_name_it(
    provider: OrganizationProvider, stored: dict[str, Any], field: str
) -> None:
    """`None` is "unknown": the engine then diffs inputs itself, marking the field and honouring
    replace_on_changes; the provider itself never asks for a replacement."""
    news = {**OIDC_PROPS, field: "changed.example.com" if field != "issuer" else "https://other.example.com"}
    result = provider.diff("id", stored, news)
    assert result.changes is None and result.replaces == []


def test_diff_treats_unknowns_as_changes(provider: OrganizationProvider, stored: dict[str, Any]) -> None:
    assert provider.diff("id", stored, {**OIDC_PROPS, "sso_domain": Unknown()}).changes is None


def test_diff_sees_a_removed_field(provider: OrganizationProvider, stored: dict[str, Any]) -> None:
    news = {k: v for k, v in OIDC_PROPS.items() if k != "sso_org_id"}
    assert provider.diff("id", stored, news).changes is None


def test_diff_of_an_organization_recorded_in_another_account_fails_naming_both(
    provider: OrganizationProvider, account: str
) -> None:
    elsewhere = "https://app.polytomic.com#owner=11111111-1111-4111-8111-111111111111"
    with pytest.raises(OrganizationError) as failure:
        provider.diff("id", {**OIDC_PROPS, "__account": elsewhere}, dict(OIDC_PROPS))
    message = str(failure.value)
    assert "https://app.polytomic.com (owner organization 11111111-1111-4111-8111-111111111111)" in message
    assert account.split("#owner=")[1] in message and "pulumi state delete" in message


def test_diff_of_a_state_without_an_account_proves_it_by_visibility(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    """State of 0.2 and older: an organization the account lists is its own; one it does not is an error."""
    created = provider.create(dict(OIDC_PROPS))
    legacy = {k: v for k, v in (created.outs or {}).items() if k != "__account"}
    assert provider.diff(created.id, legacy, dict(OIDC_PROPS)).changes is False
    RUNTIME.new_operation()
    with pytest.raises(OrganizationError, match="record no account"):
        provider.diff("00000000-0000-4000-8000-000000000000", legacy, dict(OIDC_PROPS))


# -- create --------------------------------------------------------------------------------------------


def test_create_returns_id_and_every_output(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    result = provider.create(dict(OIDC_PROPS))
    [record] = children(emulator)
    assert result.id == record["id"]
    assert result.outs is not None and result.outs["client_secret"] == CLIENT_SECRET
    assert {k: result.outs[k] for k in OIDC_PROPS} == OIDC_PROPS
    post = next(e for e in emulator.admin.journal() if e["method"] == "POST")
    assert post["headers"]["idempotency-key"].startswith("pulumi-create-")


def test_create_of_a_taken_name_explains_how_to_adopt(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    existing = provider.create(provider.check({}, {"name": "Taken"}).inputs)
    with pytest.raises(OrganizationError) as failure:
        provider.create(provider.check({}, {"name": "Taken"}).inputs)
    message = str(failure.value)
    assert "already exists" in message and existing.id in message and "adopt_id" in message
    assert len(children(emulator)) == 1


def test_create_whose_answer_was_lost_is_not_duplicated(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    emulator.admin.set_faults(drop_after_next=1, methods=["POST"])
    result = provider.create(dict(OIDC_PROPS))
    assert [o["id"] for o in children(emulator)] == [result.id]
    posts = [e for e in emulator.admin.journal() if e["method"] == "POST"]
    assert len(posts) == 2 and len({p["headers"]["idempotency-key"] for p in posts}) == 1


def test_a_second_create_operation_never_gets_the_first_ones_organization(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    """Each run's check draws its own key, so a later create (a replacement, a twin stack, a re-run after
    `state delete`) is never answered with an organization another operation made: it stops, naming it."""
    first = provider.create(provider.check({}, dict(OIDC_PROPS)).inputs)
    with pytest.raises(OrganizationError) as failure:
        provider.create(provider.check({}, dict(OIDC_PROPS)).inputs)
    assert first.id in str(failure.value) and f"adopt_id={first.id!r}" in str(failure.value)
    assert CLIENT_SECRET not in str(failure.value)
    assert [o["id"] for o in children(emulator)] == [first.id]


def test_create_sends_the_key_that_check_recorded(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    checked = provider.check({}, dict(OIDC_PROPS)).inputs
    provider.create(checked)
    post = next(e for e in emulator.admin.journal() if e["method"] == "POST")
    assert post["headers"]["idempotency-key"] == checked[CREATE_KEY]


def test_create_after_destroy_makes_a_new_organization(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    first = provider.create(dict(OIDC_PROPS))
    RUNTIME.new_operation()  # `pulumi destroy` is another operation than the `up` that created it
    provider.delete(first.id, first.outs or {})
    second = provider.create(dict(OIDC_PROPS))
    assert second.id != first.id
    assert [o["id"] for o in children(emulator)] == [second.id]


def test_check_draws_a_key_for_new_resources_and_leaves_existing_inputs_as_they_are(
    provider: OrganizationProvider,
) -> None:
    """A new resource gets a key nothing has sent; one in the stack keeps its inputs identical from run to
    run (a changing input would make the engine rewrite the state once per resource on every `up`)."""
    first = provider.check({}, dict(OIDC_PROPS)).inputs
    second = provider.check({}, dict(OIDC_PROPS)).inputs
    assert first[CREATE_KEY] != second[CREATE_KEY]
    assert CLIENT_SECRET not in first[CREATE_KEY]
    stored = dict(first)
    again = provider.check(stored, {**OIDC_PROPS, CREATE_KEY: first[CREATE_KEY]}).inputs
    assert again == stored


def test_check_drops_adopt_id_once_the_resource_is_in_the_stack(provider: OrganizationProvider) -> None:
    """Adoption is for the first create only: a replacement must never adopt (and then delete) anything."""
    assert provider.check({}, {"name": "A", "adopt_id": "id-1"}).inputs["adopt_id"] == "id-1"
    assert "adopt_id" not in provider.check({"name": "A"}, {"name": "A", "adopt_id": "id-1"}).inputs


def test_a_replacement_never_sends_the_key_its_resource_was_created_with(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    checked = provider.check({}, {"name": "Replaced"}).inputs
    original = provider.create(checked)
    RUNTIME.new_operation()  # the replacement comes in a later operation
    provider.delete(original.id, original.outs or {})
    replacement = provider.create(provider.check(checked, dict(checked)).inputs)
    assert replacement.id != original.id
    keys = [e["headers"]["idempotency-key"] for e in emulator.admin.journal() if e["method"] == "POST"]
    assert len(keys) == 2 and keys[0] == checked[CREATE_KEY] and keys[1] != keys[0]
    assert [o["id"] for o in children(emulator)] == [replacement.id]


def test_a_create_first_replacement_that_keeps_its_name_never_advises_adoption(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    checked = provider.check({}, {"name": "Kept"}).inputs
    original = provider.create(checked)
    with pytest.raises(OrganizationError) as failure:
        provider.create(provider.check(checked, dict(checked)).inputs)
    message = str(failure.value)
    assert original.id in message and "delete_before_replace=False" in message
    assert "adopt_id" not in message


# -- update, read, delete ------------------------------------------------------------------------------


def test_update_sends_the_full_payload(provider: OrganizationProvider, emulator: EmulatorProcess) -> None:
    created = provider.create(dict(OIDC_PROPS))
    news = {**OIDC_PROPS, "sso_domain": "new.example.com"}
    result = provider.update(created.id, created.outs or {}, news)
    put = [e for e in emulator.admin.journal() if e["method"] == "PUT"][-1]
    assert put["body"]["client_secret"] == "<redacted>"
    assert set(put["body"]) == {"name", "client_id", "client_secret", "issuer", "sso_domain", "sso_org_id"}
    assert result.outs is not None and result.outs["sso_domain"] == "new.example.com"


def test_a_delete_spares_the_organization_a_create_of_the_same_operation_adopted(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: Any
) -> None:
    """A create-first replacement that adopts the organization it replaces (the user named its id after the
    refused create): the engine then deletes the old entry, which is the same organization."""
    existing = partner_api.post("/api/organizations", json={"name": "Adopted"}).json()["data"]["id"]
    adopted = provider.create(provider.check({}, {"name": "Adopted", "adopt_id": existing}).inputs)
    assert adopted.id == existing
    provider.delete(existing, {"name": "Adopted"})  # the replaced entry, in the same operation
    assert [o["id"] for o in children(emulator)] == [existing]
    assert [e["method"] for e in emulator.admin.journal() if e["method"] == "DELETE"] == []


def test_a_stale_adopt_id_after_a_delete_first_replacement_makes_a_new_organization(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: Any
) -> None:
    """`adopt_id` left in the program: a replacement is checked as a new resource and would adopt again,
    but a delete-first replacement has just deleted that organization. The replacement is a new one."""
    existing = partner_api.post("/api/organizations", json={"name": "Adopted"}).json()["data"]["id"]
    provider.delete(existing, {"name": "Adopted"})  # the replacement's delete, first
    replacement = provider.create(provider.check({}, {"name": "Adopted", "adopt_id": existing}).inputs)
    assert replacement.id != existing
    assert [o["id"] for o in children(emulator)] == [replacement.id]


def test_update_of_a_deleted_organization_says_to_refresh(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    created = provider.create(dict(OIDC_PROPS))
    RUNTIME.new_operation()  # deleted by another operation
    provider.delete(created.id, {})
    with pytest.raises(OrganizationError, match="pulumi refresh"):
        provider.update(created.id, created.outs or {}, dict(OIDC_PROPS))


def test_read_returns_live_fields_and_keeps_write_only_ones(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    created = provider.create(dict(OIDC_PROPS))
    result = provider.read(created.id, dict(created.outs or {}))
    assert result.id == created.id
    assert result.outs is not None
    assert result.outs["client_secret"] == CLIENT_SECRET and result.outs["name"] == "Acme"


def test_read_of_an_unchanged_organization_keeps_the_stored_inputs(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    """No inputs in the answer: the engine keeps the stack's own (create key included) untouched."""
    created = provider.create(provider.check({}, dict(OIDC_PROPS)).inputs)
    result = provider.read(created.id, dict(created.outs or {}))
    assert result.id == created.id and result.outs == created.outs
    assert result.inputs is None


def test_read_records_drift_in_the_inputs_the_next_diff_starts_from(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: Any
) -> None:
    created = provider.create(dict(OIDC_PROPS))
    partner_api.put(f"/api/organizations/{created.id}", json={"name": "Renamed"}).raise_for_status()
    result = provider.read(created.id, dict(created.outs or {}))
    assert result.inputs is not None
    assert result.inputs["name"] == "Renamed" and "issuer" not in result.inputs
    assert result.inputs["client_secret"] == CLIENT_SECRET, "write-only fields come from the state"


def test_update_to_a_name_another_organization_holds_names_it(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    other = provider.create({"name": "Other"})
    mine = provider.create({"name": "Mine"})
    with pytest.raises(OrganizationError) as failure:
        provider.update(mine.id, mine.outs or {}, {"name": "Other"})
    assert other.id in str(failure.value) and "choose another name" in str(failure.value)
    assert {o["name"] for o in children(emulator)} == {"Other", "Mine"}


def test_read_of_a_missing_organization_returns_no_id(
    provider: OrganizationProvider, stored: dict[str, Any]
) -> None:
    result = provider.read("00000000-0000-4000-8000-000000000000", stored)
    assert result.id is None and result.outs == {}


def test_delete_of_a_missing_organization_succeeds(provider: OrganizationProvider, account: str) -> None:
    provider.delete("00000000-0000-4000-8000-000000000000", {"name": "Gone", "__account": account})


def test_a_missing_organization_of_a_state_without_an_account_is_neither_dropped_nor_deleted(
    provider: OrganizationProvider,
) -> None:
    """Nothing says which account holds it: a 404 here may be another account's organization."""
    with pytest.raises(OrganizationError, match="pulumi state delete"):
        provider.read("00000000-0000-4000-8000-000000000000", dict(OIDC_PROPS))
    with pytest.raises(OrganizationError, match="pulumi state delete"):
        provider.delete("00000000-0000-4000-8000-000000000000", {"name": "Gone"})


def test_read_and_delete_refuse_an_organization_recorded_in_another_account(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    elsewhere = "https://app.polytomic.com#owner=11111111-1111-4111-8111-111111111111"
    created = provider.create(dict(OIDC_PROPS))
    RUNTIME.new_operation()  # another operation
    moved = {**(created.outs or {}), "__account": elsewhere}
    with pytest.raises(OrganizationError, match="Nothing was read or dropped"):
        provider.read(created.id, moved)
    with pytest.raises(OrganizationError, match="Nothing was deleted"):
        provider.delete(created.id, moved)
    with pytest.raises(OrganizationError, match="Nothing was changed"):
        provider.update(created.id, moved, {**OIDC_PROPS, "name": "Changed"})
    assert [o["name"] for o in children(emulator)] == ["Acme"]


def test_delete_of_the_owner_organization_explains_itself(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    owner = next(o for o in emulator.admin.organizations() if o["is_owner"])
    with pytest.raises(OrganizationError, match="retain_on_delete"):
        provider.delete(owner["id"], {"name": owner["name"]})


# -- API errors ----------------------------------------------------------------------------------------


def test_a_wrong_key_names_the_setting_to_fix(emulator: EmulatorProcess) -> None:
    configure(emulator.url, key="wrong-key-value")
    with pytest.raises(OrganizationError) as failure:
        OrganizationProvider().create(dict(OIDC_PROPS))
    message = str(failure.value)
    assert "401" in message and "polytomic:partnerKey" in message and "wrong-key-value" not in message


@pytest.mark.api_key
def test_an_organization_api_key_is_not_enough(emulator: EmulatorProcess) -> None:
    configure(emulator.url, key=API_KEY)
    with pytest.raises(OrganizationError) as failure:
        OrganizationProvider().create(dict(OIDC_PROPS))
    message = str(failure.value)
    assert "403" in message and "partner key" in message and API_KEY not in message


def test_an_unprocessable_payload_reports_the_api_message(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    emulator.admin.set_faults(fail_next=1, fail_status=422)
    with pytest.raises(OrganizationError, match="HTTP 422") as failure:
        provider.create(dict(OIDC_PROPS))
    assert CLIENT_SECRET not in str(failure.value)
    assert children(emulator) == []


def test_server_errors_are_retried_then_reported_with_the_attempt_count(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    warm_up(provider)
    emulator.admin.clear_journal()
    emulator.admin.set_faults(fail_next=5, fail_status=503)
    with pytest.raises(OrganizationError, match=r"HTTP 503.*after 3 attempts"):
        provider.create(dict(OIDC_PROPS))
    assert [e["status"] for e in emulator.admin.journal()] == [503, 503, 503]


def test_transient_errors_are_retried_to_success(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    warm_up(provider)
    emulator.admin.set_faults(fail_next=1, fail_status=429)
    result = provider.create(dict(OIDC_PROPS))
    statuses = [e["status"] for e in emulator.admin.journal() if e["method"] == "POST"]
    assert statuses == [429, 200]
    assert [o["id"] for o in children(emulator)] == [result.id]


def test_a_secret_rotated_after_a_lost_create_stops_with_the_adopt_hint(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    """The first create reached the API (its answer was lost); the retry carries another secret."""
    first = provider.create(provider.check({}, dict(OIDC_PROPS)).inputs)
    rotated = {**OIDC_PROPS, "client_secret": CLIENT_SECRET + "-rotated"}
    with pytest.raises(OrganizationError) as failure:
        provider.create(provider.check({}, rotated).inputs)
    message = str(failure.value)
    assert "already exists" in message and f"adopt_id={first.id!r}" in message
    assert message.count("create failed") == 1
    assert CLIENT_SECRET not in message
    assert [o["id"] for o in children(emulator)] == [first.id]


@pytest.mark.parametrize(
    "adopt_id", ["x", "org-42", " 248df4b7-aa70-47b8-a036-33ac447e668d", "{248df4b7-aa70}"]
)
def test_a_malformed_adopt_id_fails_check_before_any_request(
    provider: OrganizationProvider, emulator: EmulatorProcess, adopt_id: str
) -> None:
    result = provider.check({}, {"name": "Adopted", "adopt_id": adopt_id})
    assert [f.property for f in result.failures] == ["adopt_id"]
    assert "a UUID" in result.failures[0].reason
    assert emulator.admin.journal() == []


def test_a_well_formed_adopt_id_of_this_account_passes_check(
    provider: OrganizationProvider, partner_api: Any
) -> None:
    made = partner_api.post("/api/organizations", json={"name": "Existing"}).json()["data"]["id"]
    result = provider.check({}, {"name": "Adopted", "adopt_id": made.upper()})
    assert result.failures == [] and result.inputs["adopt_id"] == made


def test_an_unknown_adopt_id_fails_check_with_the_id_and_the_account(
    provider: OrganizationProvider, account: str
) -> None:
    unknown = "248df4b7-aa70-47b8-a036-33ac447e668d"
    failures = provider.check({}, {"name": "Adopted", "adopt_id": unknown}).failures
    assert [f.property for f in failures] == ["adopt_id"]
    assert unknown in failures[0].reason and account.split("#owner=")[1] in failures[0].reason


def test_one_id_adopted_by_two_resources_fails_naming_both(
    provider: OrganizationProvider, partner_api: Any
) -> None:
    made = partner_api.post("/api/organizations", json={"name": "Existing"}).json()["data"]["id"]
    assert provider.check({}, {"name": "First", "adopt_id": made}).failures == []
    failures = provider.check({}, {"name": "Second", "adopt_id": made}).failures
    assert [f.property for f in failures] == ["adopt_id"]
    assert "'First'" in failures[0].reason and "'Second'" in failures[0].reason and made in failures[0].reason


def test_an_adopt_id_the_stack_already_holds_fails_naming_both(
    provider: OrganizationProvider, stored: dict[str, Any], partner_api: Any
) -> None:
    made = partner_api.post("/api/organizations", json={"name": "Acme"}).json()["data"]["id"]
    provider.diff(made, stored, dict(OIDC_PROPS))  # the stack's resource for it
    failures = provider.check({}, {"name": "Again", "adopt_id": made}).failures
    assert [f.property for f in failures] == ["adopt_id"]
    assert "'Acme'" in failures[0].reason and "'Again'" in failures[0].reason


# -- two resources holding one organization -----------------------------------------------------------------


# -- accounts: the engine's orders of calls ---------------------------------------------------------------


def test_the_replacement_of_an_adopted_resource_is_not_taken_for_a_second_claim(
    provider: OrganizationProvider, partner_api: Any
) -> None:
    """The engine checks a resource in the stack, diffs it, then checks its replacement as a new resource
    with the same inputs: that is one resource, not two claiming the organization."""
    made = partner_api.post("/api/organizations", json={"name": "Adopted"}).json()["data"]["id"]
    news = {"name": "Adopted", "sso_domain": "new.example.com", "adopt_id": made}
    stored_inputs = provider.check({}, {"name": "Adopted", "adopt_id": made}).inputs
    created = provider.create(stored_inputs)
    RUNTIME.new_operation()  # the next operation
    assert provider.check(stored_inputs, dict(news)).failures == []
    provider.diff(created.id, created.outs or {}, dict(news))
    assert provider.check({}, dict(news)).failures == []
    assert provider.check({}, {**news, "name": "Another"}).failures != [], "another resource still may not"


def test_a_state_without_an_account_is_proven_at_check_by_its_name(
    provider: OrganizationProvider, partner_api: Any
) -> None:
    """A replacement or a provider change is decided without `diff`: `check` proves old state by name."""
    partner_api.post("/api/organizations", json={"name": "Listed"}).raise_for_status()
    assert provider.check({"name": "Listed"}, {"name": "Listed"}).failures == []
    (failure,) = provider.check({"name": "Elsewhere"}, {"name": "Elsewhere"}).failures
    assert "did not record the partner account" in failure.reason and "pulumi refresh" in failure.reason


def test_a_404_at_another_url_of_the_same_account_is_no_proof_of_deletion(
    provider: OrganizationProvider, account: str
) -> None:
    elsewhere = "https://proxy.example.com#owner=" + account.split("#owner=")[1]
    with pytest.raises(OrganizationError, match="no proof that it is gone"):
        provider.read("00000000-0000-4000-8000-000000000000", {**OIDC_PROPS, "__account": elsewhere})
    with pytest.raises(OrganizationError, match="no proof that it is gone"):
        provider.delete("00000000-0000-4000-8000-000000000000", {"name": "Gone", "__account": elsewhere})


def test_a_get_reference_to_a_managed_organization_does_not_spare_it_from_a_delete(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    created = provider.create(dict(OIDC_PROPS))
    RUNTIME.new_operation()  # the next operation: the program keeps a .get reference and drops the resource
    assert provider.read(created.id, dict.fromkeys(OIDC_PROPS)).id == created.id
    provider.delete(created.id, created.outs or {})
    assert children(emulator) == []


def test_callers_waiting_for_the_account_share_one_lookup_and_its_failure(
    provider: OrganizationProvider, emulator: EmulatorProcess
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emulator.admin.set_faults(fail_next=50, fail_status=503)
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda n: provider.check({}, {"name": f"Org {n}"}).failures, range(5)))
    assert all("HTTP 503" in failures[0].reason for failures in answers)
    lookups = [e for e in emulator.admin.journal() if e["path"] == "/api/organization"]
    assert len(lookups) < 3 * 5, "each waiter spent a retry budget of its own"
