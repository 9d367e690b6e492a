"""Issue #26's onboarding, end to end with the real CLI, once per front end (the dynamic provider from a
Python program, the provider plugin from a YAML program): two organizations, each with an admin and a
second user, and an API key for one admin, in one `up`; exactly one invitation per user; a clean second
preview; a role change in place and an email rename (a replacement) in one `up`; a user made outside
Pulumi refused under a taken email with the way to adopt it, then adopted without an invitation or a write;
and a destroy that leaves nothing. No partner key, client secret or minted key in anything printed, in the
plain `pulumi stack export`, or in the emulator's journal.

A create killed mid-run and settled by `recover` (one invitation per user) is
tests/reliability/test_kill.py::test_up_killed_while_users_are_created_then_recovered_invites_each_user_once.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_organization_lifecycle import children, last_seq
from tests.front_ends import FrontEnd
from tests.pulumi_harness import StackFactory, StackHarness, _is_secret_value
from tests.support import CLIENT_SECRET, PARTNER_KEY, base64_readable

pytestmark = pytest.mark.e2e

CAROL = {"resource": "carol", "organization": "acme", "email": "carol@acme.example.com"}


def writes(emulator: EmulatorProcess, since: int) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in emulator.admin.journal(since=since) if e["method"] != "GET"]


def plain_outputs(harness: StackHarness) -> dict[str, Any]:
    """The stack's outputs as its state holds them, read from the backend's file: no CLI process when no
    secret output is wanted."""
    resources = harness.deployment().get("resources") or []
    return next(r for r in resources if r["type"] == "pulumi:pulumi:Stack").get("outputs") or {}


def users_in_state(harness: StackHarness) -> dict[str, dict[str, Any]]:
    """The stack's users by their Pulumi name (`:User` ends both front ends' type tokens, not the key's)."""
    return {r["urn"].rsplit("::", 1)[1]: r for r in harness.state_resources(":User")}


def test_two_organizations_onboard_their_users_change_adopt_and_destroy(
    front_end: FrontEnd, make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    harness = make_stack(front_end.onboarding_program, emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)

    # One `up`: two organizations, four users, one key; one invitation per user.
    harness.up()
    outputs = harness.outputs()
    acme, globex = outputs["acmeId"].value, outputs["globexId"].value
    jane, bob, ann, zoe = (outputs[f"{name}Id"].value for name in ("jane", "bob", "ann", "zoe"))
    assert {o["name"]: o["id"] for o in children(emulator).values()} == {
        "Onboarding Acme": acme,
        "Onboarding Globex": globex,
    }
    assert children(emulator)["Onboarding Acme"]["has_client_secret"]
    expected = {
        jane: (acme, "jane@acme.example.com"),
        bob: (acme, "bob@acme.example.com"),
        ann: (globex, "ann@globex.example.com"),
        zoe: (globex, "zoe@globex.example.com"),
    }
    invited = emulator.admin.invitations()
    assert {i["user_id"]: (i["organization_id"], i["email"]) for i in invited} == expected
    assert len(invited) == 4, "exactly one invitation per user"
    stored = users_in_state(harness)
    assert {name: r["outputs"]["role"] for name, r in stored.items()} == {
        "jane": "admin",  # no role given: Admin, as the API makes it
        "bob": "user",  # role 'member' resolved to the Member role
        "ann": "admin",
        "zoe": "user",  # 'MEMBER': any case
    }
    key = outputs["janeKey"].value
    assert outputs["janeKey"].secret, "the minted key is a secret output"
    (key_resource,) = harness.state_resources(":UserApiKey")
    assert _is_secret_value(key_resource["outputs"]["value"]), "kept encrypted in the state"
    answer = httpx.get(f"{emulator.url}/api/organization", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200 and answer.json()["data"]["id"] == acme, "an acme-scoped key of jane's"

    harness.set_config("zoeEmail", auto.ConfigValue("ZOE@globex.EXAMPLE.com"))  # the same address
    harness.preview(expect_no_changes=True)  # mixed-case emails and role names diff clean

    # One `up`: bob becomes an Admin in place, zoe's new address is a new user (and the old one deleted).
    harness.set_config("bobRole", auto.ConfigValue("Admin"))
    harness.set_config("zoeEmail", auto.ConfigValue("zoe.new@globex.example.com"))
    since = last_seq(emulator)
    harness.up()
    outputs_now = plain_outputs(harness)
    assert outputs_now["bobId"] == bob, "a role change is an update in place"
    new_zoe = outputs_now["zoeId"]
    assert new_zoe not in (zoe, None), "another address is another user"
    assert Counter(writes(emulator, since)) == Counter(
        [
            ("PUT", f"/api/organizations/{acme}/users/{bob}"),
            ("POST", f"/api/organizations/{globex}/users"),
            ("DELETE", f"/api/organizations/{globex}/users/{zoe}"),
        ]
    ), "one PUT, one create, one delete: the key is not minted again, nobody else is touched"
    [put] = [e for e in emulator.admin.journal(since=since) if e["method"] == "PUT"]
    bob_now = users_in_state(harness)["bob"]["outputs"]
    assert bob_now["role"] == "admin"
    role_ids = bob_now[front_end.spell("role_ids")]
    assert put["body"] == {"email": "Bob@Acme.example.com", "role_ids": role_ids}, "the whole payload"
    invited = emulator.admin.invitations()
    assert [(i["user_id"], i["email"]) for i in invited[4:]] == [(new_zoe, "zoe.new@globex.example.com")]
    assert sorted((u["id"], u["email"]) for u in outputs_now["acmeUsers"]) == sorted(
        [(jane, "jane@acme.example.com"), (bob, "bob@acme.example.com")]
    ), "getUsers lists acme's users"

    # A user made outside Pulumi, then declared under its email without adoption: the create is refused.
    made = partner_api.post(f"/api/organizations/{acme}/users", json={"email": CAROL["email"]})
    made.raise_for_status()
    carol = made.json()["data"]["id"]
    front_end.declare_user(harness, CAROL)
    since = last_seq(emulator)
    with pytest.raises(auto.CommandError) as refused:
        harness.up()
    message = " ".join(str(refused.value).split())  # as printed, whatever the line breaks
    assert f"already exists in organization {acme} (id {carol})" in message
    assert front_end.user_adopt_hint(acme, carol) in message
    assert writes(emulator, since) == [("POST", f"/api/organizations/{acme}/users")], (
        "only the refused create"
    )
    assert "carol" not in users_in_state(harness)
    assert len(emulator.admin.invitations()) == 6, "carol's own invitation, from outside Pulumi; no other"

    # Adopted as the error says: no write, no invitation, and nothing to change afterwards.
    since = last_seq(emulator)
    front_end.adopt_user(harness, CAROL, acme, carol)
    assert users_in_state(harness)["carol"]["id"] == carol, "stored under the user's own id"
    harness.preview(expect_no_changes=True)
    assert writes(emulator, since) == [], "adoption only reads"
    assert len(emulator.admin.invitations()) == 6

    state = harness.exported_state()  # plain `pulumi stack export`: every user, the key, the secret
    assert ":UserApiKey" in state and carol in state, "exported while the key and every user are in the stack"

    # Destroy: every user of the stack (carol, adopted, included) and both organizations are deleted.
    since = last_seq(emulator)
    harness.destroy()
    assert Counter(writes(emulator, since)) == Counter(
        [("DELETE", f"/api/organizations/{acme}/users/{user}") for user in (jane, bob, carol)]
        + [("DELETE", f"/api/organizations/{globex}/users/{user}") for user in (ann, new_zoe)]
        + [("DELETE", f"/api/organizations/{organization}") for organization in (acme, globex)]
    ), "the key's delete sends nothing"
    assert children(emulator) == {}
    for type_suffix in (":User", ":UserApiKey", front_end.type_suffix):
        assert harness.state_resources(type_suffix) == []
    assert len(emulator.admin.invitations()) == 6

    printed = "\n".join(harness.output)
    journal = json.dumps(emulator.admin.journal())
    for where, text in (("printed output", printed), ("stack export", state), ("journal", journal)):
        for secret in (PARTNER_KEY, CLIENT_SECRET, key):
            assert secret not in text, f"a secret in the {where}"
            assert secret.encode() not in base64_readable(text), f"a secret, base64-encoded, in the {where}"
