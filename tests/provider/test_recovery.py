"""`polytomic-pulumi recover`: what a pending create proves, decided against the live emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.emulator.launcher import EmulatorProcess
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.models import OrganizationSpec
from polytomic_provider.recovery import (
    Outcome,
    PendingCreate,
    complete_in_state,
    pending_creates,
    resolve,
)
from tests.support import CLIENT_SECRET, PARTNER_KEY

ORG_TYPE = "pulumi-python:dynamic/polytomic:Organization"
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[PolytomicClient]:
    settings = Settings(partner_key=Secret(PARTNER_KEY), deployment_url=emulator.url, max_attempts=2)
    with PolytomicClient(settings) as api:
        yield api


def pending(name: str, **inputs: Any) -> PendingCreate:
    return PendingCreate(
        urn=f"urn:pulumi:dev::p::{ORG_TYPE}::{name.lower()}", inputs={"name": name, **inputs}
    )


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


def test_a_create_that_never_happened_is_cleared_and_makes_nothing(client: PolytomicClient) -> None:
    resolution = resolve(client, pending("Never Made", **{CREATE_KEY: "pulumi-create-k2"}))
    assert resolution.outcome is Outcome.NOTHING_MADE
    assert [o.name for o in client.list_organizations()] == ["Emulator Partner"]


def test_an_adoption_names_its_organization(client: PolytomicClient) -> None:
    other = client.create_organization(OrganizationSpec(name="Named"))
    resolution = resolve(client, pending("Named", adopt_id=other.id))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.IMPORT, other.id)


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
    shown = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(CLIENT_SECRET)}
    export = export_with(
        [
            creating("a", {"name": "A", "client_secret": shown, CREATE_KEY: "pulumi-create-a"}),
            creating("b", {"name": "B"}, type_="aws:s3/bucket:Bucket"),
            {**creating("c", {"name": "C"}), "type": "updating"},
        ]
    )
    [found] = pending_creates(export)
    assert found.name == "A" and found.inputs["client_secret"] == CLIENT_SECRET


def test_complete_in_state_turns_imports_into_resources_and_drops_what_was_never_made() -> None:
    encrypted = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
    ops = [
        creating("imported", {"name": "I", "client_secret": encrypted, CREATE_KEY: "k"}),
        creating("never", {"name": "N", CREATE_KEY: "k2"}),
        creating("blocked", {"name": "B", CREATE_KEY: "k3"}),
        {**creating("upd", {"name": "U"}), "type": "updating"},
    ]
    export = export_with(ops)
    by_urn = {op["resource"]["urn"]: PendingCreate(op["resource"]["urn"], {}) for op in ops}

    def resolution(name: str, outcome: Outcome, org_id: str | None) -> Any:
        from polytomic_provider.recovery import Resolution

        return Resolution(by_urn[f"urn:pulumi:dev::p::{ORG_TYPE}::{name}"], outcome, org_id, "")

    settled = complete_in_state(
        export,
        [
            resolution("imported", Outcome.IMPORT, "id-1"),
            resolution("never", Outcome.NOTHING_MADE, None),
            resolution("blocked", Outcome.NOT_PROVABLE, "id-3"),
        ],
    )
    deployment = settled["deployment"]
    added = deployment["resources"][-1]
    assert added["id"] == "id-1" and added["outputs"] == {"name": "I", "client_secret": encrypted}
    assert [(o["type"], o["resource"]["inputs"]["name"]) for o in deployment["pending_operations"]] == [
        ("creating", "B"),
        ("updating", "U"),
    ]
    assert export["deployment"]["pending_operations"] == ops, "the input export is left as it was"
