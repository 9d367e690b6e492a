"""`polytomic-pulumi recover` for users: what a user's pending create proves, decided against the live
emulator, for both front ends (the dynamic `User` and the plugin's `polytomic:index:User`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.models import OrganizationSpec
from polytomic_provider.recovery import (
    DYNAMIC_USER_TYPE,
    Outcome,
    PendingCreate,
    Resolution,
    complete_in_state,
    pending_creates,
    resolve,
    unsettled_operations,
)
from polytomic_provider.user_fields import RESOLVED_ROLE_IDS
from polytomic_provider.user_models import UserSpec
from tests.support import PARTNER_KEY

PLUGIN_USER_TYPE = "polytomic:index:User"


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[PolytomicClient]:
    settings = Settings(partner_key=Secret(PARTNER_KEY), deployment_url=emulator.url, max_attempts=2)
    with PolytomicClient(settings) as api:
        yield api


@pytest.fixture
def org(client: PolytomicClient) -> str:
    return client.create_organization(
        OrganizationSpec(name="Users Org"), idempotency_key="pulumi-create-o1"
    ).id


def pending_user(
    org: str,
    email: str,
    *,
    plugin: bool = False,
    in_state: dict[str, Any] | None = None,
    **extra: Any,
) -> PendingCreate:
    """A user's pending create as each front end records it: snake_case or the schema's camelCase."""
    name = email.split("@")[0].lower()
    type_ = PLUGIN_USER_TYPE if plugin else DYNAMIC_USER_TYPE
    inputs = {"organizationId" if plugin else "organization_id": org, "email": email, **extra}
    return PendingCreate(
        urn=f"urn:pulumi:dev::p::{type_}::{name}", inputs=inputs, in_state=in_state, resource_type=type_
    )


def invitations(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    return [(i["user_id"], i["email"]) for i in emulator.admin.invitations()]


def posts(emulator: EmulatorProcess) -> int:
    return sum(1 for e in emulator.admin.journal() if e["method"] == "POST")


@pytest.mark.parametrize("plugin", [False, True], ids=["dynamic", "plugin"])
def test_a_replayed_user_create_is_the_stacks_own_with_one_invitation(
    client: PolytomicClient, emulator: EmulatorProcess, org: str, plugin: bool
) -> None:
    """The same POST, body and key as the killed run's: the API replays the user it made."""
    admin = client.resolve_role(org, "Admin")
    made = client.create_user(
        org, UserSpec(email="Jane@Example.com", role_ids=admin), idempotency_key="pulumi-create-u1"
    )
    create = pending_user(
        org,
        "Jane@Example.com",
        plugin=plugin,
        role=None,
        **{RESOLVED_ROLE_IDS: admin, CREATE_KEY: "pulumi-create-u1"},
    )
    resolution = resolve(client, create)
    assert (resolution.outcome, resolution.organization_id) == (Outcome.IMPORT, made.id)
    assert invitations(emulator) == [(made.id, "jane@example.com")], "no second user, no second invitation"
    assert "'Jane@Example.com' of organization" in resolution.describe()


def test_a_user_create_that_never_arrived_is_made_now_under_its_own_key(
    client: PolytomicClient, emulator: EmulatorProcess, org: str
) -> None:
    """Judged by the key: the role declared by name and not yet resolved is resolved as create does."""
    create = pending_user(
        org, "bob@example.com", plugin=True, role="Member", **{CREATE_KEY: "pulumi-create-u2"}
    )
    resolution = resolve(client, create)
    assert resolution.outcome is Outcome.IMPORT
    assert invitations(emulator) == [(resolution.organization_id, "bob@example.com")]
    again = resolve(client, create)
    assert (again.outcome, again.organization_id) == (Outcome.IMPORT, resolution.organization_id)
    assert len(invitations(emulator)) == 1, "recover run twice is still one user"


@pytest.mark.parametrize(
    ("plugin", "fix"),
    [
        (False, "to manage it with resource 'jane', add adopt_id='{id}' to its UserArgs"),
        (True, "to manage it with resource 'jane', run 'pulumi import polytomic:index:User jane {org}/{id}'"),
    ],
    ids=["dynamic", "plugin"],
)
def test_a_user_the_replay_cannot_prove_is_named_with_its_id_email_and_the_exact_fix(
    client: PolytomicClient, emulator: EmulatorProcess, org: str, plugin: bool, fix: str
) -> None:
    """Another key made the user holding the email (the API's answer: 422 user_email_taken): nothing
    proves it is ours, so it is named and left alone, and no second user is made."""
    theirs = client.create_user(org, UserSpec(email="jane@example.com"), idempotency_key="pulumi-create-x")
    create = pending_user(org, "Jane@Example.com", plugin=plugin, **{CREATE_KEY: "pulumi-create-u3"})
    resolution = resolve(client, create)
    assert (resolution.outcome, resolution.organization_id) == (Outcome.NOT_PROVABLE, theirs.id)
    assert theirs.id in resolution.reason and "'jane@example.com'" in resolution.reason
    assert fix.format(id=theirs.id, org=org) in resolution.reason
    assert len(invitations(emulator)) == 1


def test_a_replay_with_another_body_is_refused_and_names_the_user(
    client: PolytomicClient, emulator: EmulatorProcess, org: str
) -> None:
    """The key was sent with other role ids (the role was renamed since): the API refuses the key for
    another request, so the user it made is named, never made twice."""
    made = client.create_user(
        org,
        UserSpec(email="bob@example.com", role_ids=client.resolve_role(org, "Member")),
        idempotency_key="pulumi-create-u4",
    )
    create = pending_user(
        org,
        "bob@example.com",
        **{RESOLVED_ROLE_IDS: client.resolve_role(org, "Admin"), CREATE_KEY: "pulumi-create-u4"},
    )
    resolution = resolve(client, create)
    assert (resolution.outcome, resolution.organization_id) == (Outcome.NOT_PROVABLE, made.id)
    assert "adopt_id=" in resolution.reason and len(invitations(emulator)) == 1


def test_a_user_pending_create_without_a_key_is_cleared_when_no_user_has_the_email(
    client: PolytomicClient, emulator: EmulatorProcess, org: str
) -> None:
    sent = posts(emulator)
    resolution = resolve(client, pending_user(org, "nobody@example.com"))
    assert (resolution.outcome, resolution.organization_id) == (Outcome.CLEAR, None)
    assert posts(emulator) == sent, "nothing is sent without a key of its own"


def test_a_user_replacements_spent_key_is_never_sent_again(
    client: PolytomicClient, emulator: EmulatorProcess, org: str
) -> None:
    made = client.create_user(org, UserSpec(email="rep@example.com"), idempotency_key="pulumi-create-u5")
    entry = {"id": "old-id", "pendingReplacement": True, "inputs": {CREATE_KEY: "pulumi-create-u5"}}
    sent = posts(emulator)
    resolution = resolve(
        client, pending_user(org, "rep@example.com", in_state=entry, **{CREATE_KEY: "pulumi-create-u5"})
    )
    assert posts(emulator) == sent
    assert (resolution.outcome, resolution.organization_id) == (Outcome.NOT_PROVABLE, made.id)
    assert "pulumi state delete" in resolution.reason


def test_a_user_dry_run_sends_nothing(client: PolytomicClient, emulator: EmulatorProcess, org: str) -> None:
    sent = posts(emulator)
    create = pending_user(org, "dry@example.com", **{CREATE_KEY: "pulumi-create-u6"})
    assert resolve(client, create, replay=False).outcome is Outcome.WOULD_REPLAY
    assert posts(emulator) == sent


def test_a_user_of_an_organization_gone_since_is_cleared(client: PolytomicClient, org: str) -> None:
    client.delete_organization(org)
    create = pending_user(org, "gone@example.com", **{CREATE_KEY: "pulumi-create-u7"})
    resolution = resolve(client, create)
    assert resolution.outcome is Outcome.CLEAR and "no longer exists" in resolution.reason


def test_user_pending_creates_are_read_settled_and_completed_in_state() -> None:
    org = "5b0c7e0e-3c1e-4f53-9d6a-2f1b8f0b6a11"
    ops = []
    for type_, name, inputs in [
        (DYNAMIC_USER_TYPE, "jane", {"organization_id": org, "email": "jane@example.com", CREATE_KEY: "k1"}),
        (PLUGIN_USER_TYPE, "bob", {"organizationId": org, "email": "bob@example.com", CREATE_KEY: "k2"}),
    ]:
        urn = f"urn:pulumi:dev::p::{type_}::{name}"
        ops.append(
            {"type": "creating", "resource": {"urn": urn, "type": type_, "inputs": inputs, "custom": True}}
        )
    export = {"version": 3, "deployment": {"resources": [{"urn": "stack"}], "pending_operations": ops}}
    assert unsettled_operations(export) == []
    jane, bob = pending_creates(export)
    assert (jane.is_user, bob.is_user) == (True, True)
    assert (
        bob.fields["organization_id"] == org and bob.frontend.resource_type == "polytomic:index:Organization"
    )
    settled = complete_in_state(
        export,
        [Resolution(jane, Outcome.IMPORT, "user-1", ""), Resolution(bob, Outcome.CLEAR, None, "")],
    )
    deployment = settled["deployment"]
    assert [(r["urn"].rsplit("::", 1)[-1], r.get("id")) for r in deployment["resources"]] == [
        ("stack", None),
        ("jane", "user-1"),
    ]
    assert deployment["resources"][-1]["outputs"] == {"organization_id": org, "email": "jane@example.com"}
    assert deployment["pending_operations"] == []
