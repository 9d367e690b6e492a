"""Stacks written by released versions keep working with the current code.

Each folder under tests/golden/ holds a stack exported by one release (see make_golden.py) and the emulator
database it refers to. Pulumi stores the provider in that state as a pickled *reference* to
`polytomic_provider.provider.OrganizationProvider`, and `refresh` and `destroy` run whatever that reference
finds in the installed package, on outputs written by the old release. These tests hold the current code
to that public contract, through the real CLI: import into a fresh backend, a no-change preview, refresh,
an update, destroy.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.fields import ACCOUNT
from polytomic_provider.provider import OrganizationProvider
from tests.cli_project import CliProject
from tests.support import ADMIN_TOKEN, account_of

GOLDEN = Path(__file__).resolve().parent
RELEASES = sorted(path.parent.name for path in GOLDEN.glob("*/golden.json"))
ORGANIZATION_TYPE = "pulumi-python:dynamic/polytomic:Organization"
UPDATED_SUFFIX = "upgraded.example.com"


@dataclass(frozen=True)
class GoldenStack:
    """One release's golden folder, read."""

    folder: Path
    meta: dict[str, Any]
    deployment: dict[str, Any]

    @classmethod
    def load(cls, release: str) -> GoldenStack:
        folder = GOLDEN / release
        meta = json.loads((folder / "golden.json").read_text())
        deployment = json.loads((folder / "stack.json").read_text())
        return cls(folder=folder, meta=meta, deployment=deployment)

    @property
    def organization_ids(self) -> dict[str, str]:
        ids: dict[str, str] = self.meta["organizations"]
        return ids

    def organizations(self) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = self.deployment["deployment"]["resources"]
        return [r for r in resources if r["type"] == ORGANIZATION_TYPE]


def test_there_is_a_golden_stack_of_0_1_0() -> None:
    assert "0.1.0" in RELEASES, "the first release's golden stack must stay (see tests/golden/make_golden.py)"


@pytest.mark.parametrize("release", RELEASES)
def test_stored_provider_reference_loads_the_current_provider(release: str) -> None:
    golden = GoldenStack.load(release)
    organizations = golden.organizations()
    assert len(organizations) == 3
    for resource in organizations:
        pickled = base64.b64decode(resource["inputs"]["__provider"])
        assert b"polytomic_provider.provider" in pickled and b"OrganizationProvider" in pickled
        assert isinstance(dill.loads(pickled), OrganizationProvider)


@dataclass
class UpgradedStack:
    """A golden stack imported into a fresh file:// backend, run by the current code through the CLI."""

    project: CliProject
    emulator: EmulatorProcess

    def state(self) -> dict[str, Any]:
        exported: dict[str, Any] = json.loads(self.project.pulumi("stack", "export"))
        return exported

    def state_ids(self) -> dict[str, str]:
        resources = self.state()["deployment"].get("resources") or []
        return {r["urn"].rsplit("::", 1)[1]: r["id"] for r in resources if r["type"] == ORGANIZATION_TYPE}

    def last_changes(self) -> dict[str, int]:
        """The resource changes of the last update, as `pulumi stack history` records them."""
        history = json.loads(self.project.pulumi("stack", "history", "--json"))
        changes: dict[str, int] = history[0]["resourceChanges"]
        return changes

    def emulator_organizations(self) -> dict[str, dict[str, Any]]:
        return {o["id"]: o for o in self.emulator.admin.organizations()}


@pytest.fixture(params=RELEASES)
def upgraded(
    request: pytest.FixtureRequest, tmp_path: Path, pulumi_bin_dir: Path
) -> Iterator[tuple[GoldenStack, UpgradedStack]]:
    golden = GoldenStack.load(request.param)
    meta = golden.meta
    db_path = tmp_path / "emulator.db"
    shutil.copy(golden.folder / "emulator.db", db_path)
    with EmulatorProcess(partner_key=meta["partner_key"], admin_token=ADMIN_TOKEN, db_path=db_path) as api:
        project = CliProject(
            tmp_path,
            name=meta["project"],
            program=golden.folder / "program.py",
            # This virtualenv: the checkout's code (an editable install), the code under test.
            virtualenv=sys.prefix,
            bin_dir=pulumi_bin_dir,
            passphrase=meta["passphrase"],
            # The golden stacks keep the API's address out of state, so any port serves them.
            env={"POLYTOMIC_DEPLOYMENT_URL": api.url},
        )
        stack = meta["stack"]
        # The stack's config file carries the passphrase provider's salt, so `stack init` keeps it.
        shutil.copy(golden.folder / "stack-config.yaml", project.dir / f"Pulumi.{stack}.yaml")
        project.pulumi("stack", "init", stack)
        project.pulumi("stack", "import", "--file", str(golden.folder / "stack.json"))
        yield golden, UpgradedStack(project, api)


@pytest.mark.e2e
def test_golden_stack_survives_the_upgrade(upgraded: tuple[GoldenStack, UpgradedStack]) -> None:
    golden, stack = upgraded
    ids = golden.organization_ids
    assert stack.state_ids() == ids
    assert set(ids.values()) <= set(stack.emulator_organizations())

    # The program and the API are as the release left them: the current code must see nothing to do.
    stack.project.pulumi("preview", "--expect-no-changes")

    stack.project.pulumi("refresh", "--yes", "--skip-preview")
    assert stack.state_ids() == ids, "refresh must keep every organization it can read"
    stack.project.pulumi("preview", "--expect-no-changes")

    # An update goes through the old outputs: every organization gets its new domain, the OIDC one keeps
    # its write-only client id and secret.
    stack.project.pulumi("config", "set", "domainSuffix", UPDATED_SUFFIX)
    stack.project.pulumi("up", "--yes", "--skip-preview")
    assert stack.last_changes().get("update") == 3
    organizations = stack.emulator_organizations()
    for resource_name, organization_id in ids.items():
        assert organizations[organization_id]["sso_domain"] == f"{resource_name}.{UPDATED_SUFFIX}"
    assert organizations[ids["oidc"]]["client_id"]
    assert organizations[ids["oidc"]]["has_client_secret"] is True
    stack.project.pulumi("preview", "--expect-no-changes")

    state = stack.project.pulumi("stack", "export")
    assert golden.meta["oidc_client_secret"] not in state
    assert golden.meta["partner_key"] not in state

    stack.project.pulumi("destroy", "--yes", "--skip-preview")
    assert stack.state_ids() == {}
    assert not set(ids.values()) & set(stack.emulator_organizations())


@pytest.mark.e2e
def test_golden_stack_gains_its_account_with_no_change_shown(
    upgraded: tuple[GoldenStack, UpgradedStack],
) -> None:
    """0.1.0 and 0.2.0 recorded no account: the first `up` proves and records it in the inputs (an `up`
    with nothing to do), the first refresh in the outputs; no preview shows a change."""
    golden, stack = upgraded
    expected = account_of(stack.emulator.url, list(stack.emulator_organizations().values()))

    def recorded(part: str) -> set[Any]:
        resources = stack.state()["deployment"].get("resources") or []
        return {r[part].get(ACCOUNT) for r in resources if r["type"] == ORGANIZATION_TYPE}

    assert recorded("inputs") == recorded("outputs") == {None}
    stack.project.pulumi("preview", "--expect-no-changes")
    stack.project.pulumi("up", "--yes", "--skip-preview", "--expect-no-changes")
    assert set(stack.last_changes()) == {"same"}
    assert recorded("inputs") == {expected}
    stack.project.pulumi("refresh", "--yes", "--skip-preview")  # shows the outputs gaining the account
    assert recorded("outputs") == {expected}
    assert stack.state_ids() == golden.organization_ids
    stack.project.pulumi("preview", "--expect-no-changes")
