"""The documentation stays true: the CI example runs only commands the README documents."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def pulumi_commands(workflow: dict[str, object]) -> list[str]:
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]  # type: ignore[attr-defined]
    lines = [line.strip() for step in steps for line in str(step.get("run", "")).splitlines()]
    return [line for line in lines if line.startswith("pulumi ")]


def test_ci_example_runs_the_documented_commands() -> None:
    workflow = yaml.safe_load((REPO / "examples" / "ci" / "github-actions.yml").read_text())
    readme = (REPO / "README.md").read_text()
    commands = [c for c in pulumi_commands(workflow) if c != "pulumi install"]
    assert {c.split()[1] for c in commands} == {"preview", "up"}
    for command in commands:
        assert command in readme, f"the CI example runs {command!r}, which the README does not document"
    env = workflow["env"]
    assert "POLYTOMIC_PARTNER_KEY" in env and "secrets." in env["POLYTOMIC_PARTNER_KEY"]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (REPO / "README.md").read_text()
    first_screen = "\n".join(readme.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)
