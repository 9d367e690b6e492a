"""The example pipeline (examples/ci/github-actions.yml): its commands, as written, against the emulator.

A pull request's preview, the main branch's deploy and the nightly drift check, then drift made outside
Pulumi: the nightly check must fail with the exit code the workflow documents, and the pull request's
preview must show the drifted field.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from polytomic_emulator.launcher import EmulatorProcess
from tests.e2e.test_organization_lifecycle import OIDC, PLAIN
from tests.pulumi_harness import StackFactory, StackHarness
from tests.support import CLIENT_SECRET

pytestmark = pytest.mark.e2e

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "github-actions.yml"
DRIFT_EXIT_CODE = 7  # what the workflow's comment says Pulumi 3.274 exits with on drift


def step_commands(when: str) -> list[list[str]]:
    """The pulumi commands of the workflow's step(s) run on event `when`, as argument lists."""
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["pulumi"]["steps"]
    lines = [
        line.strip()
        for step in steps
        if step.get("if") == f"github.event_name == '{when}'"
        for line in str(step.get("run", "")).splitlines()
    ]
    return [shlex.split(line) for line in lines if line.startswith("pulumi ")]


def run(harness: StackHarness, command: list[str]) -> subprocess.CompletedProcess[str]:
    """One workflow command as written ("$STACK" is the step's environment variable), with the CLI."""
    args = [harness.stack.name if part == "$STACK" else part for part in command[1:]]
    harness.flush_config()
    result = subprocess.run(
        [str(harness.bin_dir / "pulumi"), *args],
        cwd=harness.work_dir,
        env=harness.cli_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    harness.output.append(result.stdout + result.stderr)
    return result


def test_the_pipelines_commands_deploy_then_catch_drift(
    make_stack: StackFactory, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    harness = make_stack(emulator=emulator)
    harness.set_organizations([PLAIN, OIDC])
    harness.set_secret("clientSecret-oidc", CLIENT_SECRET)
    pull_request, deploy, nightly = (
        step_commands("pull_request"),
        step_commands("push"),
        step_commands("schedule"),
    )
    assert pull_request and deploy and nightly

    for command in pull_request:
        assert run(harness, command).returncode == 0
    assert [o for o in emulator.admin.organizations() if not o["is_owner"]] == [], "a preview writes nothing"
    for command in deploy:  # up, then a preview that must show no change
        result = run(harness, command)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for command in nightly:
        result = run(harness, command)
        assert result.returncode == 0, "no drift right after a deploy: " + result.stdout[-2000:]

    plain = next(o for o in emulator.admin.organizations() if o["name"] == PLAIN["name"])
    partner_api.put(
        f"/api/organizations/{plain['id']}", json={"name": PLAIN["name"], "sso_domain": "moved.example.com"}
    )

    (check,) = nightly
    drifted = run(harness, check)
    assert drifted.returncode == DRIFT_EXIT_CODE, drifted.stdout[-2000:] + drifted.stderr[-2000:]
    reviewed = run(harness, pull_request[0])
    assert reviewed.returncode == 0
    assert "sso_domain" in reviewed.stdout and "moved.example.com" in reviewed.stdout, reviewed.stdout[-3000:]
    assert CLIENT_SECRET not in "\n".join(harness.output)
