"""End-to-end fixtures: the real Pulumi CLI driven through the Automation API.

Each test gets a temporary Pulumi home, a `file://` backend and a project directory of its own. Its stacks
keep their data key with a loopback stand-in for Vault's transit engine (tests/vault_stand_in.py says why),
not the passphrase provider. Python programs run in this virtualenv (the `virtualenv` runtime option) through
Pulumi's Python language host; a program folder with a Pulumi.yaml of its own (YAML, TypeScript) is a whole
project, used as it is. The provider plugin is installed in each test's Pulumi home, as `make demo-yaml`
installs it (`installed_plugin`), and the engine looks for no plugin on PATH; one test asks for the plugin on
PATH instead (`plugin_on_path`).
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
from polytomic_provider.version import __version__
from tests.cli_project import without_this_virtualenv
from tests.pulumi_cli import find_pulumi_bin_dir
from tests.support import PARTNER_KEY
from tests.vault_stand_in import SECRETS_PROVIDER, vault_stand_in

REPO = Path(__file__).resolve().parents[1]
PROGRAMS = Path(__file__).resolve().parent / "e2e" / "programs"
MIN_CLI_VERSION = (3, 139)
#: The provider plugin's command, which the package installs into this virtualenv's bin folder.
PLUGIN_SCRIPT = Path(sys.executable).parent / "pulumi-resource-polytomic"


def require_plugin_script() -> Path:
    """PLUGIN_SCRIPT, or the test fails saying how to get it."""
    if not PLUGIN_SCRIPT.is_file():
        pytest.fail(
            f"{PLUGIN_SCRIPT} is missing: install the package into this virtualenv (pip install -e .)"
        )
    return PLUGIN_SCRIPT


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
    encrypt: Callable[[str], str] | None = None
    """The secret config value as this stack's settings file holds it, when the stack is a copy of a
    template (whose salt it shares); else None and secrets are set with the CLI."""

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
        """Write the config set since the last command, before any command runs: plain values straight
        into the stack's settings file, `Pulumi.<stack>.yaml` (as a user edits it; the CLI reads it on
        every command), and, when a secret is among them, all of them in one CLI process (each `pulumi
        config set` is one)."""
        if not self.pending_config:
            return
        encrypt = self.encrypt
        if encrypt is None and any(value.secret for value in self.pending_config.values()):
            self.stack.set_all_config(self.pending_config)
        else:
            settings_file = self.work_dir / f"Pulumi.{self.stack.name}.yaml"
            settings = yaml.safe_load(settings_file.read_text()) if settings_file.exists() else None
            settings = settings or {}
            config = settings.setdefault("config", {})
            for key, value in self.pending_config.items():
                stored = {"secure": encrypt(value.value)} if value.secret and encrypt else value.value
                config[key if ":" in key else f"{self._project}:{key}"] = stored
            settings_file.write_text(yaml.safe_dump(settings, sort_keys=False))
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
    # (`stack export`, `stack output`, `stack history`) cost a process each. A missing file falls back to
    # the CLI.

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


class _ExistingStack(auto.Stack):
    """A stack that already exists (copied from a template): the Automation API's Stack without the
    `pulumi stack select` process its constructor runs (every command it runs names the stack)."""

    def __init__(self, name: str, workspace: auto.Workspace) -> None:
        self.name = name
        self.workspace = workspace

    def __repr__(self) -> str:
        return f"Stack(stack_name={self.name!r}, work_dir={self.workspace.work_dir!r})"


@dataclass
class StackTemplates:
    """Empty stacks made once per pytest process with the CLI, `pulumi stack init` and, when the test
    configures one, the partner key set with `pulumi config set --secret`, then copied for each test
    that wants the same project, stack name and key: their backend files (`.pulumi/` of the file://
    backend) and their settings file (`Pulumi.<stack>.yaml`, which holds the secrets provider, the wrapped
    data key and the encrypted partner key). Each copy is a stack of its own with the same data key: two CLI
    processes saved per test; what a test configures besides is written before its first command."""

    root: Path
    bin_dir: Path
    vault_env: dict[str, str]
    made: dict[tuple[str, str, str | None], Path] = field(default_factory=dict)
    ciphertexts: dict[tuple[Path, str], str] = field(default_factory=dict)

    def copy_into(
        self, project: str, stack_name: str, partner_key: str | None, backend: Path, work_dir: Path
    ) -> Callable[[str], str] | None:
        """Copy the template into this backend and project folder, and return how to encrypt a secret
        for the copy; None (nothing copied) when either already holds the stack."""
        if (backend / ".pulumi" / "stacks" / project / f"{stack_name}.json").exists() or (
            work_dir / f"Pulumi.{stack_name}.yaml"
        ).exists():
            return None
        template = self.made.get((project, stack_name, partner_key))
        if template is None:
            template = self._make(project, stack_name, partner_key)
            self.made[(project, stack_name, partner_key)] = template
        shutil.copytree(template / "state" / ".pulumi", backend / ".pulumi", dirs_exist_ok=True)
        shutil.copy(template / "project" / f"Pulumi.{stack_name}.yaml", work_dir)
        return lambda value: self._encrypted(template, stack_name, value)

    def _encrypted(self, template: Path, stack_name: str, value: str) -> str:
        """A secret as the template's settings file holds it (`secure: v1:...`), made by `pulumi config
        set --secret` in the template's project once per value: every copy shares the template's salt,
        hence its key, and decrypts it."""
        cached = self.ciphertexts.get((template, value))
        if cached is None:
            settings_file = template / "project" / f"Pulumi.{stack_name}.yaml"
            before = settings_file.read_text()
            self._pulumi(template, ["config", "set", "--secret", "harness:secret"], value)
            cached = str(yaml.safe_load(settings_file.read_text())["config"]["harness:secret"]["secure"])
            settings_file.write_text(before)  # the template stays as it was made
            self.ciphertexts[(template, value)] = cached
        return cached

    def _make(self, project: str, stack_name: str, partner_key: str | None) -> Path:
        folder = self.root / f"template-{len(self.made)}"
        (folder / "project").mkdir(parents=True)
        (folder / "state").mkdir()
        (folder / "project" / "Pulumi.yaml").write_text(json.dumps({"name": project, "runtime": "python"}))
        self._pulumi(folder, ["stack", "init", stack_name, "--secrets-provider", SECRETS_PROVIDER])
        if partner_key is not None:
            self._pulumi(folder, ["config", "set", "--secret", "polytomic:partnerKey"], partner_key)
        return folder

    def _pulumi(self, template: Path, command: list[str], stdin: str | None = None) -> None:
        """A CLI command in the template's project; a value on stdin, as a user pastes it."""
        env = {
            **os.environ,
            "PULUMI_HOME": str(template / "pulumi-home"),
            "PULUMI_BACKEND_URL": (template / "state").as_uri(),
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            **self.vault_env,
        }
        subprocess.run(
            [str(self.bin_dir / "pulumi"), "--non-interactive", *command],
            cwd=template / "project",
            env=env,
            input=stdin,
            text=True,
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def vault_env() -> Iterator[dict[str, str]]:
    """The environment that points the CLI at this pytest process's Vault stand-in."""
    with vault_stand_in() as env:
        yield env


@pytest.fixture(scope="session")
def stack_templates(
    tmp_path_factory: pytest.TempPathFactory, pulumi_bin_dir: Path, vault_env: dict[str, str]
) -> StackTemplates:
    return StackTemplates(tmp_path_factory.mktemp("stack-templates"), pulumi_bin_dir, vault_env)


@pytest.fixture(scope="session")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory, pulumi_bin_dir: Path) -> Path:
    """The `plugins` folder of a Pulumi home into which `pulumi plugin install resource polytomic <version>
    --file` put this virtualenv's `pulumi-resource-polytomic` (as `make demo-yaml` installs it), made once
    per pytest process and copied into each test's home.

    Why not the plugin on PATH: the engine gives a plugin found there no version, and a YAML program's command
    then starts it twice, once more for the schema the YAML host asks for (0.25 to 0.35 s of CPU, about 70
    commands of the suite); an installed plugin is started once per command."""
    home = tmp_path_factory.mktemp("plugin-home")
    plugin = require_plugin_script()
    install = ["plugin", "install", "resource", "polytomic", __version__, "--file", str(plugin)]
    result = subprocess.run(
        [str(pulumi_bin_dir / "pulumi"), *install, "--non-interactive"],
        env={**os.environ, "PULUMI_HOME": str(home), "PULUMI_SKIP_UPDATE_CHECK": "1"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"pulumi {' '.join(install)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    plugins = home / "plugins"
    assert (plugins / f"resource-polytomic-v{__version__}" / "pulumi-resource-polytomic").exists()
    return plugins


@pytest.fixture
def make_stack(
    tmp_path: Path,
    pulumi_command: auto.PulumiCommand,
    pulumi_bin_dir: Path,
    stack_templates: StackTemplates,
    vault_env: dict[str, str],
    installed_plugin: Path,
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
        plugin_on_path: bool = False,
    ) -> StackHarness:
        work_dir = tmp_path / f"project-{len(created)}"
        work_dir.mkdir()
        source = PROGRAMS / program
        if (source / "Pulumi.yaml").exists():
            shutil.copytree(source, work_dir, dirs_exist_ok=True)
        else:
            shutil.copy(source / "__main__.py", work_dir / "__main__.py")
            settings_of_project = {
                "name": f"e2e-{program}",
                "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
            }
            (work_dir / "Pulumi.yaml").write_text(json.dumps(settings_of_project))
        (tmp_path / "state").mkdir(exist_ok=True)
        if plugin_on_path:
            # This virtualenv's scripts after the CLI: the engine finds pulumi-resource-polytomic there.
            path = [str(pulumi_bin_dir), str(PLUGIN_SCRIPT.parent), os.environ.get("PATH", "")]
            plugin_lookup = {"PULUMI_IGNORE_AMBIENT_PLUGINS": "false"}  # whatever the shell says
        else:
            plugins = tmp_path / "pulumi-home" / "plugins"
            if not (plugins / f"resource-polytomic-v{__version__}").exists():
                shutil.copytree(installed_plugin, plugins, dirs_exist_ok=True)
            path = [str(pulumi_bin_dir), without_this_virtualenv(os.environ.get("PATH", ""))]
            # Nor anywhere else on PATH (another virtualenv, ~/.local/bin): only the installed one. The
            # language hosts are still found beside the CLI.
            plugin_lookup = {"PULUMI_IGNORE_AMBIENT_PLUGINS": "true"}
        env = {
            "PATH": os.pathsep.join(path),
            **plugin_lookup,
            "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
            "PYTHONPATH": str(REPO),
            **vault_env,
            **(extra_env or {}),
        }
        # The provider must see only what the test configures, not the developer's own environment.
        for name in [n for n in os.environ if n.startswith("POLYTOMIC_")]:
            env.setdefault(name, "")
        options = auto.LocalWorkspaceOptions(
            pulumi_command=pulumi_command, pulumi_home=str(tmp_path / "pulumi-home"), env_vars=env
        )
        settings: dict[str, auto.ConfigValue] = {}
        if emulator is not None:
            settings["polytomic:deploymentUrl"] = auto.ConfigValue(emulator.url)
        project = str(yaml.safe_load((work_dir / "Pulumi.yaml").read_text())["name"])
        backend = Path(urlparse(env["PULUMI_BACKEND_URL"]).path)
        encrypt = stack_templates.copy_into(project, stack_name, partner_key, backend, work_dir)
        if encrypt is not None:
            options.work_dir = str(work_dir)
            stack: auto.Stack = _ExistingStack(stack_name, auto.LocalWorkspace(**options.__dict__))
        else:
            options.secrets_provider = SECRETS_PROVIDER
            try:  # one CLI process (create_or_select_stack tries `stack select` first: two for a new stack)
                stack = auto.create_stack(stack_name, work_dir=str(work_dir), opts=options)
            except auto.StackAlreadyExistsError:
                stack = auto.select_stack(stack_name, work_dir=str(work_dir), opts=options)
            if partner_key is not None:
                settings["polytomic:partnerKey"] = auto.ConfigValue(partner_key, secret=True)
        harness = StackHarness(
            stack=stack,
            work_dir=work_dir,
            env=env,
            bin_dir=pulumi_bin_dir,
            pulumi_home=tmp_path / "pulumi-home",
            pending_config=settings,  # written with the test's own config, before its first command
            encrypt=encrypt,
        )
        created.append(harness)
        return harness

    yield factory
    # Nothing to tear down: each stack's backend, Pulumi home and project live in the test's tmp_path, and
    # every CLI process has exited with its command.
