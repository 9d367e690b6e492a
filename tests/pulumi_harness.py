"""End-to-end fixtures: the real Pulumi CLI driven through the Automation API.

Each test gets a temporary Pulumi home, a `file://` backend and a project directory of its own, with a
passphrase secrets provider. Python programs run in this virtualenv (the `virtualenv` runtime option) through
Pulumi's Python language host; a program folder with a Pulumi.yaml of its own (YAML, TypeScript) is a whole
project, used as it is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.pulumi_cli import find_pulumi_bin_dir
from tests.support import PARTNER_KEY

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = Path(__file__).resolve().parent / "e2e" / "programs"
PASSPHRASE = "e2e-test-passphrase"
MIN_CLI_VERSION = (3, 139)


@pytest.fixture(scope="session")
def pulumi_bin_dir() -> Path:
    found = find_pulumi_bin_dir()
    if found is None:
        pytest.fail("no Pulumi CLI found: run 'scripts/install-pulumi' or use 'make test', which does")
    return found


@pytest.fixture(scope="session")
def pulumi_command(pulumi_bin_dir: Path) -> auto.PulumiCommand:
    return auto.PulumiCommand(root=str(pulumi_bin_dir.parent))


@dataclass
class Outcome:
    """What an `up`, `refresh` or `destroy` printed; the stack's outputs and the summary of its last update
    are read when a test first asks (ask before the next command changes them)."""

    harness: StackHarness
    stdout: str
    stderr: str

    @cached_property
    def outputs(self) -> auto.OutputMap:
        return self.harness.outputs()

    @cached_property
    def summary(self) -> auto.UpdateSummary:
        info = self.harness.last_update()
        assert info is not None, "the stack has no update"
        return info


@dataclass
class StackHarness:
    """One stack of a test project, with helpers to set config and read the CLI's output."""

    stack: auto.Stack
    work_dir: Path
    env: dict[str, str]
    bin_dir: Path
    pulumi_home: Path
    output: list[str] = field(default_factory=list)
    pending_config: dict[str, auto.ConfigValue] = field(default_factory=dict)

    def on_output(self, line: str) -> None:
        self.output.append(line)

    def set_config(self, key: str, value: auto.ConfigValue) -> None:
        """Stack config, written with the rest before the next command (see flush_config)."""
        self.pending_config[key] = value

    def set_all_config(self, values: dict[str, auto.ConfigValue]) -> None:
        self.pending_config.update(values)

    def remove_config(self, key: str) -> None:
        self.pending_config.pop(key, None)
        self.flush_config()
        self.stack.remove_config(key)

    def set_organizations(self, organizations: list[dict[str, Any]]) -> None:
        self.pending_config["organizations"] = auto.ConfigValue(json.dumps(organizations))

    def set_secret(self, key: str, value: str) -> None:
        self.pending_config[key] = auto.ConfigValue(value, secret=True)

    def flush_config(self) -> None:
        """Write the config set since the last command, in one CLI process (each `pulumi config set` is
        one, and a secret costs a key derivation in each): done before any command runs."""
        if self.pending_config:
            self.stack.set_all_config(self.pending_config)
            self.pending_config = {}

    def preview(self, **kwargs: Any) -> auto.PreviewResult:
        self.flush_config()
        return self.stack.preview(on_output=self.on_output, color="never", **kwargs)

    def up(self, *, diff: bool = False, replace: Sequence[str] = ()) -> Outcome:
        """`pulumi up --yes --skip-preview`, as a pipeline runs it, its output kept in `output`.

        Not the Automation API's up: after every up it runs three more CLI processes (the stack's
        history, and its outputs twice, decrypting the secrets each time), 0.8 s of CPU that most tests
        never read. `Outcome` asks for them only when a test does."""
        flags = ["--diff"] if diff else []
        for urn in replace:
            flags += ["--replace", urn]
        return self._operation("up", "--skip-preview", *flags)

    def refresh(self) -> Outcome:
        """`pulumi refresh --yes --skip-preview`, as the Automation API runs it (without the history it
        reads after)."""
        return self._operation("refresh", "--skip-preview")

    def destroy(self) -> Outcome:
        """`pulumi destroy --yes --skip-preview`, as the Automation API runs it (without the history it
        reads after)."""
        return self._operation("destroy", "--skip-preview")

    def _operation(self, command: str, *flags: str) -> Outcome:
        result = subprocess.run(
            self.cli_command(command, "--yes", "--color", "never", *flags),
            cwd=self.work_dir,
            env=self.cli_env,
            capture_output=True,
            text=True,
        )
        self.output.extend((result.stdout + result.stderr).splitlines())
        if result.returncode != 0:
            raise auto.errors.create_command_error(
                auto.CommandResult(stdout=result.stdout, stderr=result.stderr, code=result.returncode)
            )
        return Outcome(self, result.stdout, result.stderr)

    @property
    def cli_env(self) -> dict[str, str]:
        return {**os.environ, **self.env, "PULUMI_HOME": str(self.pulumi_home)}

    def cli_command(self, *args: str) -> list[str]:
        """The command line of a CLI command on this stack (the config set so far written first)."""
        self.flush_config()
        return [str(self.bin_dir / "pulumi"), *args, "--stack", self.stack.name, "--non-interactive"]

    def cli(self, *args: str, check: bool = True, kept: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the CLI as a user would, in the project directory, and capture what it prints; kept in
        `output` (which tests search for secrets) unless `kept` is False, for the harness's own reads."""
        result = subprocess.run(
            self.cli_command(*args), cwd=self.work_dir, env=self.cli_env, capture_output=True, text=True
        )
        if kept:
            self.output.extend((result.stdout + result.stderr).splitlines())
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}"
            )
        return result

    def exported_state(self) -> str:
        """`pulumi stack export` as a user runs it, secrets left encrypted (the Automation API's
        `export_stack` adds --show-secrets, so it is not used here)."""
        return self.cli("stack", "export").stdout

    def state_resources(self, type_suffix: str = "polytomic:Organization") -> list[dict[str, Any]]:
        """The resources of that type in the stack's state, secrets as the state holds them (encrypted)."""
        resources = self.deployment().get("resources") or []
        return [r for r in resources if r["type"].endswith(type_suffix)]

    # The engine's own files in the file:// backend, read directly: the CLI commands that print them
    # (`stack export`, `stack output`, `stack history`) cost a process each, and with --show-secrets a
    # passphrase key derivation each. A missing file falls back to the CLI.

    @property
    def _backend_files(self) -> Path:
        return Path(urlparse(self.env["PULUMI_BACKEND_URL"]).path) / ".pulumi"

    @cached_property
    def _project(self) -> str:
        return str(yaml.safe_load((self.work_dir / "Pulumi.yaml").read_text())["name"])

    def deployment(self) -> dict[str, Any]:
        """The latest deployment in the stack's checkpoint (what `pulumi stack export` prints)."""
        path = self._backend_files / "stacks" / self._project / f"{self.stack.name}.json"
        if not path.is_file():
            exported: dict[str, Any] = json.loads(self.cli("stack", "export", kept=False).stdout)
            return exported.get("deployment") or {}
        checkpoint = json.loads(path.read_text()).get("checkpoint") or {}
        return checkpoint.get("latest") or {}

    def outputs(self) -> auto.OutputMap:
        """The stack's outputs; the CLI is asked only for the values of secret ones, which it decrypts."""
        root = next(
            (r for r in self.deployment().get("resources") or [] if r["type"] == "pulumi:pulumi:Stack"), None
        )
        stored: dict[str, Any] = (root or {}).get("outputs") or {}
        secret = {name for name, value in stored.items() if _is_secret_value(value)}
        plain = {}
        if secret:
            shown = self.cli("stack", "output", "--json", "--show-secrets", kept=False)
            plain = json.loads(shown.stdout)
        return {
            name: auto.OutputValue(plain[name] if name in secret else value, name in secret)
            for name, value in stored.items()
        }

    def last_update(self) -> auto.UpdateSummary | None:
        """The newest entry of the stack's update history (what `pulumi stack history` prints first)."""
        folder = self._backend_files / "history" / self._project / self.stack.name
        newest = max(folder.glob("*.history.json"), default=None, key=lambda p: p.name)
        if newest is None:
            return self.stack.info()
        entry = json.loads(newest.read_text())
        return auto.UpdateSummary(
            kind=entry["kind"],
            start_time=datetime.fromtimestamp(entry["startTime"], UTC),
            message=entry.get("message", ""),
            environment=entry.get("environment") or {},
            config={},  # the file holds it in the engine's own form (secure values); no test reads it
            result=entry["result"],
            end_time=datetime.fromtimestamp(entry["endTime"], UTC) if entry.get("endTime") else None,
            version=entry.get("version"),
            resource_changes=entry.get("resourceChanges"),
        )


#: How the engine marks a secret value in state and outputs: {SECRET_SIG: SECRET_MARK, "ciphertext": ...}
#: (or "plaintext" where the CLI shows secrets).
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"


def _is_secret_value(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


StackFactory = Callable[..., StackHarness]


@pytest.fixture
def make_stack(
    tmp_path: Path, pulumi_command: auto.PulumiCommand, pulumi_bin_dir: Path
) -> Iterator[StackFactory]:
    """Create stacks of a test program (a folder under tests/e2e/programs) in temporary directories."""
    created: list[StackHarness] = []

    def factory(
        program: str = "organizations",
        *,
        emulator: EmulatorProcess | None = None,
        partner_key: str | None = PARTNER_KEY,
        stack_name: str = "test",
        extra_env: dict[str, str] | None = None,
    ) -> StackHarness:
        work_dir = tmp_path / f"project-{len(created)}"
        work_dir.mkdir()
        source = PROGRAMS / program
        if (source / "Pulumi.yaml").exists():
            shutil.copytree(source, work_dir, dirs_exist_ok=True)
        else:
            shutil.copy(source / "__main__.py", work_dir / "__main__.py")
            project = {
                "name": f"e2e-{program}",
                "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
            }
            (work_dir / "Pulumi.yaml").write_text(json.dumps(project))
        (tmp_path / "state").mkdir(exist_ok=True)
        env = {
            # The CLI, then this virtualenv's scripts: the engine finds pulumi-resource-polytomic on PATH.
            "PATH": os.pathsep.join(
                [str(pulumi_bin_dir), str(Path(sys.prefix) / "bin"), os.environ.get("PATH", "")]
            ),
            "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
            "PYTHONPATH": str(REPO),
            **(extra_env or {}),
        }
        # The provider must see only what the test configures, not the developer's own environment.
        for name in [n for n in os.environ if n.startswith("POLYTOMIC_")]:
            env.setdefault(name, "")
        options = auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command, pulumi_home=str(tmp_path / "pulumi-home"), env_vars=env
        )
        try:  # one CLI process (create_or_select_stack tries `stack select` first: two for a new stack)
            stack = auto.create_stack(stack_name, work_dir=str(work_dir), opts=options)
        except auto.StackAlreadyExistsError:
            stack = auto.select_stack(stack_name, work_dir=str(work_dir), opts=options)
        settings: dict[str, auto.ConfigValue] = {}
        if emulator is not None:
            settings["polytomic:deploymentUrl"] = auto.ConfigValue(emulator.url)
        if partner_key is not None:
            settings["polytomic:partnerKey"] = auto.ConfigValue(partner_key, secret=True)
        harness = StackHarness(
            stack=stack,
            work_dir=work_dir,
            env=env,
            bin_dir=pulumi_bin_dir,
            pulumi_home=tmp_path / "pulumi-home",
            pending_config=settings,  # written with the test's own config, before its first command
        )
        created.append(harness)
        return harness

    yield factory
    # Nothing to tear down: each stack's backend, Pulumi home and project live in the test's tmp_path, and
    # every CLI process has exited with its command.
