"""`polytomic-pulumi recover`: what a pending create proves, decided against the live emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.models import OrganizationSpec
from polytomic_provider.recovery import (
    Outcome,
    PendingCreate,
    Resolution,
    complete_in_state,
    is_default_provider,
    pending_creates,
    provider_inputs,
    resolve,
    unsettled_operations,
)
from tests.pulumi_harness import SECRET_MARK, SECRET_SIG
from tests.support import CLIENT_SECRET, PARTNER_KEY

ORG_TYPE = "pulumi-python:dynamic/polytomic:Organization"


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[PolytomicClient]:
    settings = Settings(partner_key=Secret(PARTNER_KEY), deployment_url=emulator.url, max_attempts=2)
    with PolytomicClient(settings) as api:
        yield api


def pending(name: str, in_state: dict[str, Any] | None = None, **inputs: Any) -> PendingCreate:
    urn = f"urn:pulumi:dev::p::{ORG_TYPE}::{name.lower()}"
    return PendingCreate(urn=urn, inputs={"name": name, **inputs}, in_state=in_state)


def posts(emulator: EmulatorProcess) -> int:
    return sum(1 for e in emulator.admin.journal() if e["method"] == "POST")


def test_a_replayed_create_is_provably_the_stacks_own(client: PolytomicClient) -> None:
    made = client.create_organization(
        OrganizationSpec(name="Lost Answer"), idempotency_key="pulumi-create-k1"
    )
    resolution = resolve(client, pending("Lost Answer", **{CREATE_KEY: "pulumi-create-k1"}))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.IMPORT, made.id)
    assert len(client.list_organizations()) == 2, "the replay made nothing new"


def test_a_name_held_by_someone_else_is_not_provable_and_names_the_id(client: PolytomicClient) -> None:
    other = client.create_organization(OrganizationSpec(name="Taken"), idempotency_key="pulumi-create-theirs")
    resolution = resolve(client, pending("Taken", **{CREATE_KEY: "pulumi-create-ours"}))
    assert resolution.outcome is Outcome.NOT_PROVABLE
    assert resolution.organization_id == other.id and f"adopt_id={other.id!r}" in resolution.reason
    assert len(client.list_organizations()) == 2


def test_a_pending_create_without_a_key_is_not_provable(client: PolytomicClient) -> None:
    other = client.create_organization(OrganizationSpec(name="Old Style"))
    resolution = resolve(client, pending("Old Style"))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.NOT_PROVABLE, other.id)


def test_a_create_that_never_arrived_is_made_now_under_the_stacks_own_key(client: PolytomicClient) -> None:
    """Judged by the key, not the name: a POST still in flight or never sent is the same operation."""
    resolution = resolve(client, pending("Never Arrived", **{CREATE_KEY: "pulumi-create-k2"}))
    assert resolution.outcome is Outcome.IMPORT
    assert [o.id for o in client.list_organizations() if o.name == "Never Arrived"] == [
        resolution.organization_id
    ]


def test_a_dry_run_sends_nothing(client: PolytomicClient, emulator: EmulatorProcess) -> None:
    resolution = resolve(client, pending("Dry", **{CREATE_KEY: "pulumi-create-k3"}), replay=False)
    assert resolution.outcome is Outcome.WOULD_REPLAY
    assert posts(emulator) == 0


def test_a_replacements_spent_key_is_never_sent_again(
    client: PolytomicClient, emulator: EmulatorProcess
) -> None:
    """A replacement's pending create carries the key the original create spent: replaying it would
    bring back the organization being replaced."""
    original = client.create_organization(
        OrganizationSpec(name="Replaced"), idempotency_key="pulumi-create-k4"
    )
    client.delete_organization(original.id)
    newer = client.create_organization(OrganizationSpec(name="Replaced"))
    entry = {"id": original.id, "pendingReplacement": True, "inputs": {CREATE_KEY: "pulumi-create-k4"}}
    sent_before = posts(emulator)
    resolution = resolve(client, pending("Replaced", in_state=entry, **{CREATE_KEY: "pulumi-create-k4"}))
    assert posts(emulator) == sent_before
    assert (resolution.outcome, resolution.organization_id) == (Outcome.NOT_PROVABLE, newer.id)
    assert "pulumi state delete" in resolution.reason and f"adopt_id={newer.id!r}" in resolution.reason


def test_a_leftover_pending_create_of_an_organization_the_stack_holds_is_cleared(
    client: PolytomicClient,
) -> None:
    made = client.create_organization(OrganizationSpec(name="Held"), idempotency_key="pulumi-create-k5")
    entry = {"id": made.id, "inputs": {CREATE_KEY: "pulumi-create-other"}}
    resolution = resolve(client, pending("Held", in_state=entry, **{CREATE_KEY: "pulumi-create-k5"}))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.CLEAR, made.id)


def test_an_adoption_is_dropped_not_imported(client: PolytomicClient) -> None:
    """The program may no longer name that id: the next `up` adopts again only if it still does."""
    other = client.create_organization(OrganizationSpec(name="Named"))
    resolution = resolve(client, pending("Named", adopt_id=other.id))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.CLEAR, None)


def test_the_replay_is_sent_with_the_same_body_secret_included(client: PolytomicClient) -> None:
    oidc = {
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "issuer": "https://login.example.com",
        "sso_domain": "oidc.example.com",
    }
    made = client.create_organization(
        OrganizationSpec(name="OIDC", **oidc), idempotency_key="pulumi-create-oidc"
    )
    resolution = resolve(client, pending("OIDC", **oidc, **{CREATE_KEY: "pulumi-create-oidc"}))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.IMPORT, made.id)


def export_with(operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"resources": [{"urn": "stack"}], "pending_operations": operations}}


def creating(name: str, inputs: dict[str, Any], type_: str = ORG_TYPE) -> dict[str, Any]:
    urn = f"urn:pulumi:dev::p::{type_}::{name}"
    return {"type": "creating", "resource": {"urn": urn, "type": type_, "inputs": inputs, "custom": True}}


def test_pending_creates_reads_organizations_only_with_secrets_unwrapped() -> None:
    shown = {SECRET_SIG: SECRET_MARK, "plaintext": json.dumps(CLIENT_SECRET)}
    export = export_with(
        [
            creating("a", {"name": "A", "client_secret": shown, CREATE_KEY: "pulumi-create-a"}),
            creating("b", {"name": "B"}, type_="aws:s3/bucket:Bucket"),
            {**creating("c", {"name": "C"}), "type": "updating"},
        ]
    )
    [found] = pending_creates(export)
    assert found.name == "A" and found.inputs["client_secret"] == CLIENT_SECRET


def test_operations_recover_does_not_settle_are_listed() -> None:
    export = export_with(
        [
            creating("a", {"name": "A"}),
            creating("b", {"name": "B"}, type_="aws:s3/bucket:Bucket"),
            {**creating("c", {"name": "C"}), "type": "updating"},
        ]
    )
    assert unsettled_operations(export) == [
        "creating urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
        f"updating urn:pulumi:dev::p::{ORG_TYPE}::c",
    ]


def test_a_pending_create_under_an_explicit_provider_is_settled_with_that_providers_own_inputs() -> None:
    """Each pending create keeps the provider it was sent with: the default provider's are settled with the
    stack's config, an explicit provider's with its own inputs as the state holds them (another partner
    account, perhaps), so none is ever replayed into another account."""
    plugin_type = "polytomic:index:Organization"
    default = "urn:pulumi:dev::p::pulumi:providers:polytomic::default_0_2_0::0d1f"
    explicit = "urn:pulumi:dev::p::pulumi:providers:polytomic::accountB::5e2a"
    ops = [
        creating("mine", {"name": "Mine", "clientSecret": None}, type_=plugin_type),
        creating("theirs", {"name": "B"}, type_=plugin_type),
    ]
    ops[0]["resource"]["provider"] = default
    ops[1]["resource"]["provider"] = explicit
    export = export_with(ops)
    shown_key = {SECRET_SIG: SECRET_MARK, "plaintext": json.dumps("pk-account-b")}
    export["deployment"]["resources"].append(
        {
            "urn": explicit.rsplit("::", 1)[0],
            "id": "5e2a",
            "type": "pulumi:providers:polytomic",
            "inputs": {"deploymentUrl": "https://b.example.com", "partnerKey": shown_key},
        }
    )
    mine, theirs = pending_creates(export)
    assert (is_default_provider(mine.provider), is_default_provider(theirs.provider)) == (True, False)
    assert theirs.provider == explicit and mine.fields == {"name": "Mine", "client_secret": None}
    assert unsettled_operations(export) == []
    assert provider_inputs(export, explicit) == {
        "deploymentUrl": "https://b.example.com",
        "partnerKey": "pk-account-b",
    }
    assert provider_inputs(export, "urn:pulumi:dev::p::pulumi:providers:polytomic::gone::9") is None


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("default", True),
        ("default_0_2_0", True),
        ("default_1_0_0_alpha_1", True),
        ("default_0_3_0_https___example_com_plugins", True),
        ("defaultEu", False),
        ("default_eu", False),
        ("defaults", False),
        ("accountB", False),
    ],
)
def test_default_providers_are_recognised_exactly_as_the_engine_names_them(name: str, default: bool) -> None:
    assert is_default_provider(f"urn:pulumi:dev::p::pulumi:providers:polytomic::{name}::0d1f") is default
    assert is_default_provider("") is True


def test_complete_in_state_turns_imports_into_resources_and_drops_the_rest() -> None:
    encrypted = {SECRET_SIG: SECRET_MARK, "ciphertext": "v1:abc"}
    replaced_urn = f"urn:pulumi:dev::p::{ORG_TYPE}::replaced"
    ops = [
        creating("imported", {"name": "I", "client_secret": encrypted, CREATE_KEY: "k"}),
        creating("cleared", {"name": "N", CREATE_KEY: "k2"}),
        creating("blocked", {"name": "B", CREATE_KEY: "k3"}),
        creating("replaced", {"name": "R", CREATE_KEY: "k4"}),
    ]
    export = export_with(ops)
    export["deployment"]["resources"] += [
        {"urn": replaced_urn, "id": "old", "pendingReplacement": True},
        {"urn": "x"},
    ]

    def resolution(name: str, outcome: Outcome, org_id: str | None) -> Resolution:
        urn = f"urn:pulumi:dev::p::{ORG_TYPE}::{name}"
        return Resolution(PendingCreate(urn, {}), outcome, org_id, "")

    settled = complete_in_state(
        export,
        [
            resolution("imported", Outcome.IMPORT, "id-1"),
            resolution("cleared", Outcome.CLEAR, None),
            resolution("blocked", Outcome.NOT_PROVABLE, "id-3"),
            resolution("replaced", Outcome.IMPORT, "id-4"),
        ],
    )
    deployment = settled["deployment"]
    assert [(r["urn"].rsplit("::", 1)[-1], r.get("id")) for r in deployment["resources"]] == [
        ("stack", None),
        ("replaced", "id-4"),
        ("x", None),
        ("imported", "id-1"),
    ], "a replacement takes the place of the entry it replaces; a new resource is appended"
    assert deployment["resources"][-1]["outputs"] == {"name": "I", "client_secret": encrypted}
    assert deployment["pending_operations"] == []
    assert export["deployment"]["pending_operations"] == ops, "the input export is left as it was"
