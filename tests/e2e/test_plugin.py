"""The provider plugin `pulumi-resource-polytomic` under the real CLI, against emulators on loopback.

The harness installs the plugin into each test's Pulumi home (`installed_plugin` in tests/pulumi_harness.py);
one test runs it from PATH instead (this virtualenv's bin folder, where the package installs it). The
lifecycle of a YAML program; then `pulumi import`, two partner accounts through explicit providers, bad
input, and the schema the plugin serves with the SDKs generated from it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import file_backend
from polytomic_provider.fields import CREATE_KEY
from polytomic_provider.plugin.schema import build_schema
from polytomic_provider.version import __version__
from tests.npm import npm_install
from tests.pulumi_harness import (
    PLUGIN_SCRIPT,
    REPO,
    SECRET_MARK,
    SECRET_SIG,
    StackFactory,
    StackHarness,
    require_plugin_script,
)
from tests.run_wide import made_once
from tests.support import CLIENT_SECRET, PARTNER_KEY, SECOND_PARTNER_KEY

pytestmark = pytest.mark.e2e

SCHEMA = REPO / "polytomic_provider" / "plugin" / "schema.json"
ORGANIZATION = "polytomic:index:Organization"
PROVIDER = "pulumi:providers:polytomic"
TYPESCRIPT_VERSION = "5.9.3"  # compiles the generated Node.js SDK (its package.json asks for ^4.7 or newer)
WRITES = ("POST", "PUT", "DELETE")


def children(emulator: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """The emulator's organizations other than the partner's owner, by name."""
    return {o["name"]: o for o in emulator.admin.organizations() if not o["is_owner"]}


def writes(emulator: EmulatorProcess, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in emulator.admin.journal(since=since) if e["method"] in WRITES]


def last_seq(emulator: EmulatorProcess) -> int:
    entries = emulator.admin.journal()
    return entries[-1]["seq"] if entries else 0


def exported(harness: StackHarness) -> tuple[str, dict[str, dict[str, Any]]]:
    """`pulumi stack export` as a user runs it (secrets encrypted): its text, and its resources by name."""
    text = harness.exported_state()
    resources = json.loads(text)["deployment"].get("resources") or []
    return text, {r["urn"].rsplit("::", 1)[1]: r for r in resources if r["type"] != "pulumi:pulumi:Stack"}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK and "ciphertext" in value


def run(harness: StackHarness, operation: str, **kwargs: Any) -> Any:
    """A stack operation through the Automation API, its stderr kept with the rest of the CLI's output."""
    result = getattr(harness, operation)(**kwargs)
    harness.output.extend(result.stderr.splitlines())
    return result


def managed(harness: StackHarness) -> list[dict[str, Any]]:
    """The organizations the stack manages: its state's, `get` references (external) aside."""
    return [r for r in harness.state_resources(ORGANIZATION) if not r.get("external")]


def stored_inputs(harness: StackHarness, name: str) -> dict[str, Any]:
    """The inputs the state holds for the organization named `name`."""
    (resource,) = [r for r in managed(harness) if r["outputs"]["name"] == name]
    inputs: dict[str, Any] = resource["inputs"]
    return inputs


def assert_never_shown(harness: StackHarness, export: str, *values: str) -> None:
    artefacts = {
        "stack export": export,
        "CLI output": "\n".join(harness.output),
        "stack config file": "\n".join(p.read_text() for p in harness.work_dir.glob("Pulumi.*.yaml")),
    }
    for what, text in artefacts.items():
        for number, value in enumerate(values):
            assert value not in text, f"secret #{number} leaked into {what}"


# -- the lifecycle of the YAML program ----------------------------------------------------------------


def assert_organization_lifecycle(
    harness: StackHarness, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """preview, up, no-change preview, a one-field update, drift undone, secrets kept, destroy.

    The program (plugin-yaml) declares "Plain Org" and "OIDC Org"; the latter's
    ssoDomain and clientSecret come from stack config.
    """
    harness.set_config("ssoDomain", auto.ConfigValue("oidc.example.com"))
    harness.set_secret("clientSecret", CLIENT_SECRET)  # pulumi config set --secret

    # preview: two creates, nothing sent
    assert run(harness, "preview").change_summary.get("create") == 3  # the stack and two organizations
    assert writes(emulator) == [], "preview must not write"

    # up: one POST each, with the whole payload
    up = run(harness, "up", diff=True)
    assert up.summary.result == "succeeded"
    assert "[secret]" in up.stdout, "the diff should show clientSecret as [secret]"
    created = writes(emulator)
    assert sorted((e["method"], e["path"]) for e in created) == [("POST", "/api/organizations")] * 2
    assert sorted((e["body"] for e in created), key=lambda body: body["name"]) == [
        {
            "name": "OIDC Org",
            "sso_domain": "oidc.example.com",
            "issuer": "https://login.oidc.example.com",
            "client_id": "oidc-client",
            "client_secret": "<redacted>",  # sent (the journal redacts its value)
            "sso_org_id": "org_123",
        },
        {"name": "Plain Org", "sso_domain": "plain.example.com"},
    ]
    orgs = children(emulator)
    assert set(orgs) == {"Plain Org", "OIDC Org"}
    assert orgs["OIDC Org"]["client_id"] == "oidc-client" and orgs["OIDC Org"]["has_client_secret"]
    assert up.outputs["oidcId"].value == orgs["OIDC Org"]["id"]
    assert up.outputs["plainId"].value == orgs["Plain Org"]["id"]
    assert up.outputs["oidcSsoDomain"].value == "oidc.example.com"
    assert up.outputs["plainRefName"].value == "Plain Org"  # the `get` reference (plainRef)

    run(harness, "preview", expect_no_changes=True)
    plain_inputs = stored_inputs(harness, "Plain Org")
    sent_keys = {e["body"]["name"]: e["headers"].get("idempotency-key") for e in created}
    assert plain_inputs.get(CREATE_KEY) == sent_keys["Plain Org"], "the state records the key the POST sent"

    # one field changed: one PUT of the whole payload, the secret included
    harness.set_config("ssoDomain", auto.ConfigValue("renamed.example.com"))
    preview = run(harness, "preview")
    assert preview.change_summary.get("update") == 1
    assert "[diff: ~ssoDomain]" in preview.stdout, preview.stdout
    since = last_seq(emulator)
    up = run(harness, "up")
    sent = writes(emulator, since)
    assert [(e["method"], e["path"], e["status"]) for e in sent] == [
        ("PUT", f"/api/organizations/{orgs['OIDC Org']['id']}", 200)
    ]
    assert sent[0]["body"] == {
        "name": "OIDC Org",
        "sso_domain": "renamed.example.com",
        "issuer": "https://login.oidc.example.com",
        "client_id": "oidc-client",
        "client_secret": "<redacted>",
        "sso_org_id": "org_123",
    }
    assert children(emulator)["OIDC Org"]["sso_domain"] == "renamed.example.com"
    assert up.outputs["oidcSsoDomain"].value == "renamed.example.com"
    # The unchanged organization's inputs are stored as they were, create key included: an input that
    # changed on every run would have the engine rewrite the state file for each organization.
    assert stored_inputs(harness, "Plain Org") == plain_inputs
    run(harness, "preview", expect_no_changes=True)

    # drift: a rename behind Pulumi's back is found by refresh and undone by up
    plain_id = orgs["Plain Org"]["id"]
    partner_api.put(f"/api/organizations/{plain_id}", json={"name": "Renamed By Hand"}).raise_for_status()
    since = last_seq(emulator)
    run(harness, "refresh")
    assert writes(emulator, since) == [], "refresh must not write"
    state = {r["outputs"]["name"] for r in managed(harness)}
    assert state == {"Renamed By Hand", "OIDC Org"}
    assert run(harness, "preview").change_summary.get("update") == 1
    run(harness, "up")
    assert [(e["method"], e["path"]) for e in writes(emulator, since)] == [
        ("PUT", f"/api/organizations/{plain_id}")
    ]
    restored = children(emulator)
    assert restored["Plain Org"]["id"] == plain_id
    assert restored["Plain Org"]["sso_domain"] == "plain.example.com"
    run(harness, "preview", expect_no_changes=True)

    # the secret: encrypted in state, never shown
    export, resources = exported(harness)
    assert is_secret(resources["oidc"]["outputs"]["clientSecret"]), resources["oidc"]["outputs"]
    assert is_secret(resources["oidc"]["inputs"]["clientSecret"]), resources["oidc"]["inputs"]
    assert_never_shown(harness, export, CLIENT_SECRET, PARTNER_KEY)
    assert CLIENT_SECRET not in str(emulator.admin.journal())

    # destroy: both deleted
    since = last_seq(emulator)
    assert run(harness, "destroy").summary.result == "succeeded"
    assert sorted(e["path"] for e in writes(emulator, since)) == sorted(
        f"/api/organizations/{id_}" for id_ in (plain_id, orgs["OIDC Org"]["id"])
    )
    assert children(emulator) == {}
    assert managed(harness) == []


def test_organization_lifecycle(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    """The YAML program; TypeScript, Python and Go programs run the plugin through their typed SDKs in
    test_examples.py."""
    harness = make_stack("plugin-yaml", emulator=emulator)
    assert_organization_lifecycle(harness, emulator, partner_api)


def test_a_yaml_program_runs_the_plugin_found_on_path(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """How a pip install serves the plugin: its virtualenv's bin folder on PATH, nothing installed in the
    Pulumi home (automatic plugin downloads are off, so nothing else could serve it)."""
    harness = make_stack("plugin-yaml", emulator=emulator, plugin_on_path=True)
    harness.set_config("ssoDomain", auto.ConfigValue("oidc.example.com"))
    harness.set_secret("clientSecret", CLIENT_SECRET)

    assert run(harness, "preview").change_summary.get("create") == 3  # the stack and two organizations
    assert not list((harness.pulumi_home / "plugins").glob("resource-polytomic-*"))
    assert writes(emulator) == []


# -- import, two accounts, bad input ------------------------------------------------------------------


def test_import_adopts_an_existing_organization(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    made = partner_api.post(
        "/api/organizations",
        json={"name": "Imported Org", "sso_domain": "imported.example.com", "sso_org_id": "org_imported"},
    )
    made.raise_for_status()
    org_id = made.json()["data"]["id"]
    harness = make_stack("plugin-import", emulator=emulator)
    code = harness.work_dir.parent / "imported-code.yaml"  # outside the project: not part of the program
    since = last_seq(emulator)

    harness.cli(
        "import",
        ORGANIZATION,
        "imported",
        org_id,
        "--yes",
        "--protect=false",
        "--generate-code",
        "--out",
        str(code),
    )

    assert writes(emulator, since) == [], "import must not write"
    generated = code.read_text()
    # The YAML code generator writes the token short (polytomic:Organization is polytomic:index:Organization).
    assert re.search(r"^  imported:\n    type: polytomic:(index:)?Organization$", generated, re.M), generated
    assert "Imported Org" in generated and "imported.example.com" in generated, generated
    [resource] = harness.state_resources(ORGANIZATION)
    assert resource["id"] == org_id
    assert resource["outputs"]["name"] == "Imported Org"

    run(harness, "preview", expect_no_changes=True)
    assert writes(emulator, since) == []

    # The program's function calls (getOrganization, getOrganizations, getCurrentOrganization) answer
    # from the same account.
    outputs = run(harness, "up").outputs
    assert outputs["byNameId"].value == org_id and outputs["byNameDomain"].value == "imported.example.com"
    assert [o["id"] for o in outputs["listed"].value] == [org_id]
    owner = next(o for o in emulator.admin.organizations() if o["is_owner"])
    assert outputs["ownerId"].value == owner["id"]
    assert writes(emulator, since) == []

    run(harness, "destroy")
    assert [(e["method"], e["path"]) for e in writes(emulator, since)] == [
        ("DELETE", f"/api/organizations/{org_id}")
    ]
    assert children(emulator) == {}


def test_two_explicit_providers_each_manage_their_own_account(
    make_stack: StackFactory,
    two_accounts_stack: StackHarness,
    emulator: EmulatorProcess,
    second_emulator: EmulatorProcess,
) -> None:
    # No default provider is configured (no polytomic:* config, POLYTOMIC_* blanked by the harness).
    harness = two_accounts_stack

    assert run(harness, "preview").change_summary.get("create") == 5  # stack, 2 providers, 2 orgs
    up = run(harness, "up", diff=True)

    first, second = children(emulator), children(second_emulator)
    assert set(first) == {"First Account Org"}
    assert set(second) == {"Second Account Org"}
    assert up.outputs["firstId"].value == first["First Account Org"]["id"]
    assert up.outputs["secondId"].value == second["Second Account Org"]["id"]
    run(harness, "preview", expect_no_changes=True)

    export, resources = exported(harness)
    for provider in ("first", "second"):
        assert resources[provider]["type"] == PROVIDER
        assert is_secret(resources[provider]["inputs"]["partnerKey"]), resources[provider]["inputs"]
    assert_never_shown(harness, export, PARTNER_KEY, SECOND_PARTNER_KEY)

    run(harness, "destroy")
    assert children(emulator) == {}
    assert children(second_emulator) == {}


def test_bad_input_fails_preview_per_property_before_any_request(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    harness = make_stack("plugin-yaml", emulator=emulator)
    harness.set_config("ssoDomain", auto.ConfigValue("https://oidc.example.com/"))
    harness.set_config("issuer", auto.ConfigValue("http://login.oidc.example.com"))
    harness.set_secret("clientSecret", CLIENT_SECRET)

    with pytest.raises(auto.CommandError) as failure:
        harness.preview()

    message = str(failure.value)
    # The engine prints each check failure as "property <name> value <value> has a problem: <reason>".
    assert re.search(
        r"property ssoDomain value .* has a problem: ssoDomain must be a bare email domain such as "
        r"example.com, not a URL",
        message,
    ), message
    assert re.search(
        r"property issuer value .* has a problem: issuer must be an https:// URL of your OIDC provider",
        message,
    ), message
    assert "sso_domain" not in message, "messages name the property as the program spells it"
    assert CLIENT_SECRET not in message
    # The bad resource's check sends nothing; the valid one ("plain") may have looked its account up
    # before the engine stopped at the first failure. Nothing else is ever sent.
    sent = {(e["method"], e["path"]) for e in emulator.admin.journal()}
    assert sent <= {("GET", "/api/organization")}, "check must fail before any other API call"


# -- the schema and the SDKs generated from it ---------------------------------------------------------


def cli(pulumi_bin_dir: Path, home: Path, *args: str, cwd: Path | None = None) -> str:
    """The CLI outside any project, with a Pulumi home of its own and the plugin on PATH."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(pulumi_bin_dir), str(PLUGIN_SCRIPT.parent), os.environ.get("PATH", "")]),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "1",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
    }
    result = subprocess.run(
        [str(pulumi_bin_dir / "pulumi"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"pulumi {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def test_served_schema_is_schema_json(pulumi_bin_dir: Path, tmp_path: Path) -> None:
    """What the plugin serves, the checked-in file and the schema written from the core are one schema."""
    plugin = require_plugin_script()
    served = json.loads(cli(pulumi_bin_dir, tmp_path / "home", "package", "get-schema", str(plugin)))
    assert served["version"] == __version__
    assert served == json.loads(SCHEMA.read_text()) == build_schema()


def generate_sdk(pulumi_bin_dir: Path, tmp_path: Path, language: str) -> Path:
    out = tmp_path / "sdk"
    cli(
        pulumi_bin_dir,
        tmp_path / "home",
        "package",
        "gen-sdk",
        str(SCHEMA),
        "--language",
        language,
        "--version",  # as `make sdks` does: gen-sdk otherwise writes "${VERSION}", which fails at run time
        __version__,
        "--out",
        str(out),
    )
    return out / language


def test_python_sdk_generates_and_compiles(pulumi_bin_dir: Path, tmp_path: Path) -> None:
    sdk = generate_sdk(pulumi_bin_dir, tmp_path, "python")
    package = sdk / "pulumi_polytomic"
    for module in ("organization", "provider", "get_organization", "get_organizations", "user", "get_user"):
        assert (package / f"{module}.py").is_file(), module
    assert (package / "get_current_organization.py").is_file()
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    organization = (package / "organization.py").read_text()
    assert "'polytomic:index:Organization'" in organization
    assert 'additional_secret_outputs=["clientSecret"]' in organization.replace("'", '"')
    user = (package / "user.py").read_text()
    assert "polytomic:index:User" in user and "organization_id: pulumi.Input[_builtins.str]" in user
    assert (package / "get_users.py").is_file()


@pytest.fixture(scope="session")
def typescript_compiler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`tsc`, from npm (its cache first), once per run (tests/run_wide.py)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("building the Node.js SDK needs npm on PATH: install Node.js (https://nodejs.org)")

    def install(folder: Path) -> None:
        folder.mkdir()
        (folder / "package.json").write_text(json.dumps({"private": True}))
        npm_install(npm, folder, f"typescript@{TYPESCRIPT_VERSION}")

    folder = made_once(tmp_path_factory, "typescript-compiler", install)
    return folder / "node_modules" / "typescript" / "bin" / "tsc"


def test_nodejs_sdk_generates_and_builds(
    pulumi_bin_dir: Path, tmp_path: Path, typescript_node_modules: Path, typescript_compiler: Path
) -> None:
    sdk = generate_sdk(pulumi_bin_dir, tmp_path, "nodejs")
    package = json.loads((sdk / "package.json").read_text())
    assert package["name"] == "@polytomic/pulumi"
    assert package["version"] == __version__, "the SDK carries the package version, not ${VERSION}"
    # @pulumi/pulumi and @types/node, as the TypeScript programs have them
    (sdk / "node_modules").symlink_to(typescript_node_modules, target_is_directory=True)
    built = subprocess.run(
        ["node", str(typescript_compiler), "-p", str(sdk)], capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    for module in ("index", "organization", "provider", "getOrganization", "getOrganizations"):
        assert (sdk / "bin" / f"{module}.js").is_file(), module
    assert (sdk / "bin" / "getCurrentOrganization.d.ts").is_file()


def test_retries_are_reported_in_the_run_output_under_the_resource(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """The plugin's stderr reaches only the engine's log, so it reports each retry through the engine:
    the same line as the dynamic provider's, shown with the resource that retried."""
    harness = make_stack("plugin-yaml", emulator=emulator)
    harness.set_config("ssoDomain", auto.ConfigValue("oidc.example.com"))
    harness.set_secret("clientSecret", CLIENT_SECRET)
    emulator.admin.set_faults(fail_next=2, fail_status=503, methods=["POST"])

    printed = str(run(harness, "up").stdout)

    # The CLI repeats a resource's last warning on its status lines, so count resources, not lines.
    pattern = r"Organization (plain|oidc) .*attempt 1 failed \(HTTP 503\); retrying in"
    retried = set(re.findall(pattern, printed))
    faulted = [e for e in emulator.admin.journal() if e.get("fault") == "fail_next"]
    assert retried == {"plain", "oidc"} and len(faulted) == 2, printed
    assert len(children(emulator)) == 2, "retried, not duplicated"


def checkpoint_file(harness: StackHarness) -> Path:
    """The stack's checkpoint in the file:// backend, where a killed run leaves its pending operations."""
    root = file_backend.local_root(harness.cli_env["PULUMI_BACKEND_URL"])
    assert root is not None
    (path,) = (root / ".pulumi" / "stacks").glob(f"*/{harness.stack.name}.json")
    return path


def edit_checkpoint(harness: StackHarness, edit: Callable[[dict[str, Any]], None]) -> None:
    """Change the latest deployment on disk, as a killed run leaves it (`pulumi stack import` would drop
    pending operations)."""
    path = checkpoint_file(harness)
    checkpoint = json.loads(path.read_text())
    edit(checkpoint["checkpoint"]["latest"])
    path.write_text(json.dumps(checkpoint))


def interrupt_create_of(harness: StackHarness, resource_name: str) -> dict[str, Any]:
    """Turn the stack's entry of one organization back into the pending create a killed run leaves: the
    state then holds that create's inputs (its create key included) and no resource, as after a SIGKILL
    between the POST and the engine's checkpoint. Returns the pending resource."""
    pending: dict[str, Any] = {}

    def interrupt(deployment: dict[str, Any]) -> None:
        (entry,) = [r for r in deployment["resources"] if r["urn"].endswith(f"::{resource_name}")]
        deployment["resources"].remove(entry)
        pending.update({key: value for key, value in entry.items() if key not in ("id", "outputs")})
        deployment["pending_operations"] = [{"resource": pending, "type": "creating"}]

    edit_checkpoint(harness, interrupt)
    return pending


def recover_stack(harness: StackHarness) -> subprocess.CompletedProcess[str]:
    """`polytomic-pulumi recover`, run in the project as docs/recovery.md says."""
    command = [sys.executable, "-m", "polytomic_provider.cli", "recover", "--stack", harness.stack.name]
    result = subprocess.run(
        command, cwd=harness.work_dir, env=harness.cli_env, capture_output=True, text=True, check=False
    )
    harness.output.extend((result.stdout + result.stderr).splitlines())
    return result


@pytest.mark.parametrize("provider_name", ["defaultEu", "accountB"])
def test_recover_settles_a_create_under_an_explicit_provider_in_its_own_account(
    make_stack: StackFactory,
    emulator: EmulatorProcess,
    second_emulator: EmulatorProcess,
    provider_name: str,
) -> None:
    """A pending create under an explicit provider is replayed with that provider's own settings (from the
    state) in its own account, never with the default provider's: `defaultEu` only looks like the engine's
    name for a default provider (`default`, `default_0_2_0`)."""
    harness = make_stack("plugin-recover-accounts", emulator=emulator)
    program = harness.work_dir / "Pulumi.yaml"
    text = program.read_text().replace("  other:\n", f"  {provider_name}:\n")
    program.write_text(text.replace("${other}", "${" + provider_name + "}"))
    harness.set_config("otherUrl", auto.ConfigValue(second_emulator.url))
    harness.set_secret("otherKey", SECOND_PARTNER_KEY)
    run(harness, "up")
    away_id = children(second_emulator)["Other Account Org"]["id"]

    pending = interrupt_create_of(harness, "away")
    assert pending["provider"].split("::")[-2] == provider_name
    home_writes, away_writes = last_seq(emulator), last_seq(second_emulator)

    recovered = recover_stack(harness)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"import: {pending['urn']} ('Other Account Org') -> {away_id}" in recovered.stdout
    assert writes(emulator, since=home_writes) == [], "nothing is sent to the default provider's account"
    assert [w["method"] for w in writes(second_emulator, since=away_writes)] == ["POST"]  # the replay
    assert set(children(emulator)) == {"Home Account Org"}
    assert set(children(second_emulator)) == {"Other Account Org"}
    (away,) = [r for r in harness.state_resources(ORGANIZATION) if r["urn"] == pending["urn"]]
    assert away["id"] == away_id
    run(harness, "preview", expect_no_changes=True)
    assert_never_shown(harness, harness.exported_state(), PARTNER_KEY, SECOND_PARTNER_KEY)


def test_recover_leaves_a_create_pending_when_its_provider_is_unknown(
    make_stack: StackFactory, emulator: EmulatorProcess, second_emulator: EmulatorProcess
) -> None:
    """Nothing says which account a create went to when its provider is not in the state: recover names it
    and stops before any request or write, so the pending create (and its key) stays in the state."""
    harness = make_stack("plugin-recover-accounts", emulator=emulator)
    harness.set_config("otherUrl", auto.ConfigValue(second_emulator.url))
    harness.set_secret("otherKey", SECOND_PARTNER_KEY)
    run(harness, "up")
    pending = interrupt_create_of(harness, "away")
    provider_urn = pending["provider"].rsplit("::", 1)[0]

    def forget_provider(deployment: dict[str, Any]) -> None:
        deployment["resources"] = [r for r in deployment["resources"] if r["urn"] != provider_urn]

    edit_checkpoint(harness, forget_provider)
    before = last_seq(emulator), last_seq(second_emulator)

    recovered = recover_stack(harness)
    assert recovered.returncode != 0
    assert f"{pending['urn']} ('Other Account Org'): its provider" in recovered.stderr, recovered.stderr
    assert "is not in the stack's state" in recovered.stderr
    assert (writes(emulator, since=before[0]), writes(second_emulator, since=before[1])) == ([], [])
    operations = json.loads(harness.exported_state())["deployment"].get("pending_operations") or []
    assert [o["resource"]["urn"] for o in operations] == [pending["urn"]], "the create stays pending"


def test_recover_replays_a_default_provider_create_with_the_settings_of_the_run_not_todays_config(
    make_stack: StackFactory, emulator: EmulatorProcess, second_emulator: EmulatorProcess
) -> None:
    """The stack's config changed after the kill (a pipeline variable now names another account): the
    default provider's create is replayed in the account the run sent it to, as the provider's inputs in the
    state record it; a replay elsewhere would prove nothing and make a second organization."""
    harness = make_stack("plugin-recover-accounts", emulator=emulator)
    harness.set_config("otherUrl", auto.ConfigValue(second_emulator.url))
    harness.set_secret("otherKey", SECOND_PARTNER_KEY)
    run(harness, "up")
    home_id = children(emulator)["Home Account Org"]["id"]
    pending = interrupt_create_of(harness, "home")
    harness.set_config("polytomic:deploymentUrl", auto.ConfigValue(second_emulator.url))
    harness.set_secret("polytomic:partnerKey", SECOND_PARTNER_KEY)
    before = last_seq(second_emulator)

    recovered = recover_stack(harness)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"import: {pending['urn']} ('Home Account Org') -> {home_id}" in recovered.stdout
    assert f"as the state records it: {emulator.url}" in recovered.stdout
    assert writes(second_emulator, since=before) == [], "nothing is sent to the account today's config names"
    assert set(children(emulator)) == {"Home Account Org"}
    assert_never_shown(harness, harness.exported_state(), PARTNER_KEY, SECOND_PARTNER_KEY)
    assert PARTNER_KEY not in recovered.stdout + recovered.stderr
