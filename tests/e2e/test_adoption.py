"""Adopting organizations that already exist: `polytomic-pulumi generate`, then the real CLI on its output.

Also `Organization.get`, the lookups and `ResourceOptions(import_=...)` in a real program. The tests at the
bottom run the command-line tool alone against the emulator (no Pulumi CLI).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.pulumi_harness import StackFactory
from tests.support import API_KEY, CLIENT_SECRET, PARTNER_KEY

SEEDED: list[dict[str, Any]] = [
    {"name": "Acme Analytics", "sso_domain": "acme.example.com"},
    {"name": "Beta Labs", "sso_domain": "beta.example.com", "sso_org_id": "org_beta"},
    {"name": "Gamma"},
    {"name": "delta & co", "sso_org_id": "org_delta"},
    {
        "name": "OIDC Org",
        "sso_domain": "oidc.example.com",
        "issuer": "https://login.oidc.example.com",
        "client_id": "oidc-client",
        "client_secret": CLIENT_SECRET,
    },
]
WRITES = ("POST", "PUT", "DELETE")


def seed(partner_api: httpx.Client, bodies: list[dict[str, Any]]) -> dict[str, str]:
    """Create organizations behind Pulumi's back; returns their ids by name."""
    ids: dict[str, str] = {}
    for body in bodies:
        response = partner_api.post("/api/organizations", json=body)
        response.raise_for_status()
        ids[body["name"]] = response.json()["data"]["id"]
    return ids


def children(emulator: EmulatorProcess) -> dict[str, dict[str, Any]]:
    return {o["name"]: o for o in emulator.admin.organizations() if not o["is_owner"]}


def owner(emulator: EmulatorProcess) -> dict[str, Any]:
    return next(o for o in emulator.admin.organizations() if o["is_owner"])


def writes(emulator: EmulatorProcess, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal(since=since) if e["method"] in WRITES]


def last_seq(emulator: EmulatorProcess) -> int:
    entries = emulator.admin.journal()
    return entries[-1]["seq"] if entries else 0


def generate(
    emulator: EmulatorProcess, *args: str, key: str | None = PARTNER_KEY
) -> subprocess.CompletedProcess[str]:
    """The installed console script, with the key in the environment only (as users are told to)."""
    script = Path(sysconfig.get_path("scripts")) / "polytomic-pulumi"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "polytomic_provider.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    if key is not None:
        env["POLYTOMIC_PARTNER_KEY"] = key
    return subprocess.run(
        [*command, "generate", "--deployment-url", emulator.url, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# -- the generated program under the real CLI ------------------------------------------------------------


@pytest.mark.e2e
def test_generated_program_adopts_all_five_without_creating_anything(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = seed(partner_api, SEEDED)
    for org_name, email in [
        ("Acme Analytics", "jane@acme.example.com"),
        ("Acme Analytics", "bob@acme.example.com"),
        ("Gamma", "ops@gamma.example.com"),
    ]:
        partner_api.post(
            f"/api/organizations/{ids[org_name]}/users", json={"email": email}
        ).raise_for_status()
    user_ids = {
        u["id"]
        for org_id in ids.values()
        for u in partner_api.get(f"/api/organizations/{org_id}/users").json()["data"]
    }
    assert len(user_ids) >= 3
    invited = len(emulator.admin.invitations())
    harness = make_stack("adopted", emulator=emulator)
    generated = generate(emulator, "--output", str(harness.work_dir / "__main__.py"), "--force")
    assert generated.returncode == 0, generated.stderr
    program = (harness.work_dir / "__main__.py").read_text()
    for text in (generated.stdout, generated.stderr, program):
        assert PARTNER_KEY not in text and CLIENT_SECRET not in text
    assert all(f'adopt_id="{org_id}"' in program for org_id in ids.values())
    assert all(f'adopt_id="{user_id}"' in program for user_id in user_ids), "the users are adopted too"
    assert f"with their {len(user_ids)} users" in generated.stderr
    assert f'adopt_id="{owner(emulator)["id"]}"' not in program  # the owner is left out by default
    harness.set_config("oidc_org_client_id", auto.ConfigValue("oidc-client"))
    harness.set_secret("oidc_org_client_secret", CLIENT_SECRET)
    seeded_at = last_seq(emulator)

    preview = harness.preview()
    # The stack, the five organizations and their users.
    assert preview.change_summary.get(auto.OpType.CREATE) == 6 + len(user_ids)
    output = "\n".join(harness.output)
    assert all(f"adopts the existing organization {org_id}" in output for org_id in ids.values())

    harness.up()
    # One PUT, for the organization whose write-only client id and secret the program declares; the other
    # four already match, so nothing at all is written to them.
    sent = writes(emulator, seeded_at)
    assert [(e["method"], e["path"], e["status"]) for e in sent] == [
        ("PUT", f"/api/organizations/{ids['OIDC Org']}", 200)
    ]
    assert sent[0]["body"]["client_id"] == "oidc-client" and sent[0]["body"]["client_secret"] == "<redacted>"
    assert {name: o["id"] for name, o in children(emulator).items()} == ids
    assert {r["id"] for r in harness.state_resources()} == set(ids.values())
    assert {r["id"] for r in harness.state_resources("polytomic:User")} == user_ids
    assert len(emulator.admin.invitations()) == invited, "adopting the users sent no invitation"
    harness.preview(expect_no_changes=True)

    harness.destroy()
    assert children(emulator) == {}
    assert owner(emulator)  # never declared, never touched


@pytest.mark.e2e
def test_retained_adoption_with_the_owner_keeps_everything_on_destroy(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = seed(partner_api, SEEDED[:2])
    harness = make_stack("adopted", emulator=emulator)
    main = str(harness.work_dir / "__main__.py")
    generated = generate(emulator, "--include-owner", "--retain-on-delete", "--output", main, "--force")
    assert generated.returncode == 0, generated.stderr
    seeded_at = last_seq(emulator)

    harness.up()
    assert writes(emulator, seeded_at) == []  # owner included: all three already match
    harness.preview(expect_no_changes=True)
    assert len(harness.state_resources()) == 3

    harness.destroy()
    assert writes(emulator, seeded_at) == []
    assert {name: o["id"] for name, o in children(emulator).items()} == ids
    assert harness.state_resources() == []


# -- lookups, Organization.get and import_ in a real program ---------------------------------------------


@pytest.mark.e2e
def test_lookups_get_and_import_in_a_program(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = seed(partner_api, SEEDED[:2])
    read_id, import_id = ids["Acme Analytics"], ids["Beta Labs"]
    harness = make_stack("references", emulator=emulator)
    harness.set_all_config(
        {
            "lookupId": auto.ConfigValue(read_id),
            "importId": auto.ConfigValue(import_id),
            "importName": auto.ConfigValue("Beta Labs"),
            "importDomain": auto.ConfigValue("beta.example.com"),
        }
    )
    seeded_at = last_seq(emulator)

    up = harness.up()
    # Beta Labs is declared without its sso_org_id, so adopting it through import_ sends one PUT.
    assert [(e["method"], e["path"]) for e in writes(emulator, seeded_at)] == [
        ("PUT", f"/api/organizations/{import_id}")
    ]
    outputs = {k: v.value for k, v in up.outputs.items()}
    assert outputs["by_id"] == {
        "name": "Acme Analytics",
        "sso_domain": "acme.example.com",
        "sso_org_id": None,
    }
    assert outputs["by_name_id"] == read_id
    assert outputs["all_names"] == [owner(emulator)["name"], "Acme Analytics", "Beta Labs"]
    assert outputs["current_id"] == owner(emulator)["id"]
    assert outputs["reference"] == {"name": "Acme Analytics", "sso_domain": "acme.example.com"}
    assert outputs["by_output_name"] == "Acme Analytics"
    assert outputs["imported_id"] == import_id
    assert children(emulator)["Beta Labs"]["sso_org_id"] is None
    harness.preview(expect_no_changes=True)

    since = last_seq(emulator)
    harness.destroy()
    # The imported organization is managed and deleted; the one read with Organization.get is not.
    assert [(e["method"], e["path"]) for e in writes(emulator, since)] == [
        ("DELETE", f"/api/organizations/{import_id}")
    ]
    assert set(children(emulator)) == {"Acme Analytics"}


@pytest.mark.e2e
def test_a_missing_id_fails_the_program_with_a_clear_error(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack("references", emulator=emulator)
    missing = "00000000-0000-4000-8000-000000000000"
    harness.set_config("lookupId", auto.ConfigValue(missing))
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()
    assert f"no organization with id '{missing}'" in str(failure.value)
    assert writes(emulator) == []


@pytest.mark.e2e
def test_organization_get_of_a_missing_id_fails_on_the_resource(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = seed(partner_api, SEEDED[:1])
    harness = make_stack("references", emulator=emulator)
    missing = "00000000-0000-4000-8000-000000000000"
    harness.set_all_config(
        {"lookupId": auto.ConfigValue(ids["Acme Analytics"]), "getId": auto.ConfigValue(missing)}
    )
    with pytest.raises(auto.CommandError) as failure:
        harness.preview()
    # The error must come from the `reference` resource itself, not from a lookup chained on its id.
    assert "polytomic:Organization (reference):" in str(failure.value)
    assert missing in str(failure.value)


# -- the command-line tool alone -------------------------------------------------------------------------


def test_generate_prints_the_program_and_filters_by_name(
    emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    ids = seed(partner_api, SEEDED)
    generated = generate(emulator, "--name-filter", "A")  # case-insensitive: Acme, Beta, Gamma, delta
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith('"""') and "import pulumi" in generated.stdout
    assert [i for name, i in ids.items() if i in generated.stdout] == [
        ids[n] for n in ("Acme Analytics", "Beta Labs", "Gamma", "delta & co")
    ]
    assert "4 of 6 organizations declared" in generated.stderr
    compile(generated.stdout, "generated.py", "exec")


def test_generate_refuses_to_overwrite_without_force(emulator: EmulatorProcess, tmp_path: Path) -> None:
    target = tmp_path / "__main__.py"
    target.write_text("# mine\n")
    generated = generate(emulator, "--output", str(target))
    assert generated.returncode == 1 and "--force" in generated.stderr
    assert target.read_text() == "# mine\n"


def test_generate_needs_a_key_from_the_environment(emulator: EmulatorProcess) -> None:
    generated = generate(emulator, key=None)
    assert generated.returncode == 1
    assert "POLYTOMIC_PARTNER_KEY" in generated.stderr and generated.stdout == ""
    assert "--partner-key" not in generated.stderr
    rejected = generate(emulator, key="pk-wrong-0123456789")
    assert rejected.returncode == 1 and "partner key was rejected" in rejected.stderr
    assert "pk-wrong-0123456789" not in rejected.stderr


@pytest.mark.api_key
def test_generate_explains_that_an_organization_key_is_not_enough(emulator: EmulatorProcess) -> None:
    generated = generate(emulator, key=API_KEY)
    assert generated.returncode == 1
    assert "managed with a partner key" in generated.stderr and API_KEY not in generated.stderr
