"""Each example program (examples/), installed the way its README says, through preview, up, a no-change
preview and destroy against the emulator, with the real CLI and a Pulumi home that holds nothing of ours.

TypeScript, Python and Go get their typed SDK with `pulumi package add <checkout>/provider` (the plugin run
from source in a virtualenv Pulumi makes); YAML needs only the plugin archive, installed with `pulumi plugin
install resource polytomic <version> --file`. No virtualenv of this project is on PATH: the plugin runs in
the virtualenv Pulumi made for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.version import __version__
from tests.cli_project import without_this_virtualenv
from tests.run_wide import made_once
from tests.support import CLIENT_SECRET, PARTNER_KEY

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# What the provider folder's requirements.txt (`..`) installs from, and the folder itself.
SOURCE_FILES = ("pyproject.toml", "README.md", "polytomic_provider", "provider")


def copy_checkout(root: Path) -> Path:
    """Copy what a checkout holds for the plugin into `root` (made here)."""
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "venv", "*.egg-info", "build")
    for name in SOURCE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy(source, root / name)
    return root


@pytest.fixture(scope="session")
def made_checkout(tmp_path_factory: pytest.TempPathFactory, pulumi_bin_dir: Path) -> Path:
    """A checkout whose provider/ holds the virtualenv Pulumi made for the plugin, once per run
    (tests/run_wide.py): by `pulumi package add <checkout>/provider` in a scratch copy of the Go example,
    as a user's first `package add` makes it (pip installing the provider and its dependencies, ~20 s of
    CPU). Go, since its SDK costs the least to generate; the YAML host cannot link a package. Each test
    works in a copy of it."""

    def make(folder: Path) -> None:
        copy_checkout(folder / "checkout")
        Example("go", folder, pulumi_bin_dir).pulumi("package", "add", str(folder / "checkout" / "provider"))
        assert (folder / "checkout" / "provider" / "venv" / "bin" / "python").exists(), (
            "Pulumi made the plugin's venv"
        )

    return made_once(tmp_path_factory, "made-checkout", make) / "checkout"


def user_env(pulumi_bin_dir: Path, home: Path, state: Path) -> dict[str, str]:
    """A user's shell: the CLI and the system's tools on PATH, no virtualenv or PYTHONPATH of ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PULUMI_HOME") and not k.startswith("POLYTOMIC_")
    }
    env.update(
        PATH=os.pathsep.join([str(pulumi_bin_dir), without_this_virtualenv(os.environ.get("PATH", ""))]),
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=state.as_uri(),
        PULUMI_CONFIG_PASSPHRASE="examples-passphrase",
        PULUMI_SKIP_UPDATE_CHECK="1",
        # What npm and pip fetch comes from their caches when it can (the first run on a machine fetches).
        npm_config_prefer_offline="true",
        npm_config_audit="false",
        npm_config_fund="false",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


class Example:
    """One example program copied to a folder of its own, driven with the CLI as a user drives it."""

    def __init__(self, language: str, tmp_path: Path, pulumi_bin_dir: Path) -> None:
        self.dir = tmp_path / "program"
        shutil.copytree(EXAMPLES / language, self.dir)
        (tmp_path / "state").mkdir()
        self.env = user_env(pulumi_bin_dir, tmp_path / "home", tmp_path / "state")
        self.pulumi_path = str(pulumi_bin_dir / "pulumi")
        self.output: list[str] = []

    def pulumi(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [self.pulumi_path, *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.output.append(result.stdout + result.stderr)
        assert result.returncode == 0, (
            f"pulumi {' '.join(args)}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
        return result.stdout

    def configure(self, emulator: EmulatorProcess) -> None:
        self.pulumi("stack", "init", "dev")
        self.pulumi("config", "set", "polytomic:deploymentUrl", emulator.url)
        self.pulumi("config", "set", "--secret", "polytomic:partnerKey", stdin=PARTNER_KEY)
        self.pulumi("config", "set", "acmeClientId", "acme-client")
        self.pulumi("config", "set", "--secret", "acmeClientSecret", stdin=CLIENT_SECRET)

    def lifecycle(self, emulator: EmulatorProcess) -> dict[str, Any]:
        """preview, up, a preview that must show no change, destroy; the outputs of the up."""
        self.configure(emulator)
        self.pulumi("preview")
        self.pulumi("up", "--yes", "--skip-preview")
        outputs: dict[str, Any] = json.loads(self.pulumi("stack", "output", "--json"))
        names = {o["id"]: o["name"] for o in emulator.admin.organizations()}
        assert names[outputs["analyticsId"]].endswith(" Analytics")
        assert names[outputs["acmeId"]].endswith(" Acme")
        assert outputs["partnerOrganization"] == next(
            o["name"] for o in emulator.admin.organizations() if o["is_owner"]
        )
        assert outputs["acmeClientSecret"] == "[secret]"
        invited = {i["user_id"]: i for i in emulator.admin.invitations()}
        admin = invited[outputs["acmeAdminId"]]  # the first admin user exists, invited once
        assert (admin["organization_id"], admin["email"]) == (outputs["acmeId"], "admin@acme.example.com")
        self.pulumi("preview", "--expect-no-changes")
        self.pulumi("destroy", "--yes", "--skip-preview")
        left = {o["id"] for o in emulator.admin.organizations()}
        assert not {outputs["analyticsId"], outputs["acmeId"]} & left
        printed = "\n".join(self.output)
        assert CLIENT_SECRET not in printed and PARTNER_KEY not in printed
        return outputs


@pytest.mark.parametrize("language", ["typescript", "python", "go"])
def test_example_with_its_typed_sdk_from_package_add(
    language: str, made_checkout: Path, emulator: EmulatorProcess, pulumi_bin_dir: Path, tmp_path: Path
) -> None:
    # A copy of its own: every `package add` runs pip in the checkout (requirements.txt installs `..`), which
    # rebuilds the provider there and reinstalls it into the plugin's virtualenv.
    checkout = tmp_path / "checkout"
    shutil.copytree(made_checkout, checkout, symlinks=True)
    example = Example(language, tmp_path, pulumi_bin_dir)
    example.pulumi("package", "add", str(checkout / "provider"))
    assert "Added package" in example.output[-1], example.output[-1]
    assert (example.dir / "sdks" / "polytomic").is_dir()
    # pip reinstalled the provider from this test's copy into the copy's virtualenv
    plugin_site = next((checkout / "provider" / "venv" / "lib").glob("python3*/site-packages"))
    installed = next(plugin_site.glob("polytomic_pulumi-*.dist-info"))
    assert json.loads((installed / "direct_url.json").read_text())["url"] == checkout.as_uri()
    example.lifecycle(emulator)


def test_yaml_example_with_the_plugin_archive_alone(
    emulator: EmulatorProcess, pulumi_bin_dir: Path, tmp_path: Path
) -> None:
    # A copy of its own: building the wheel writes into the checkout.
    source_checkout = copy_checkout(tmp_path / "checkout")
    built = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "plugin-archive.py"),
            "--out",
            str(tmp_path / "dist"),
            "--source",
            str(source_checkout),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    archive = Path(built.stdout.strip())
    assert archive.name == f"pulumi-resource-polytomic-v{__version__}.tar.gz"
    example = Example("yaml", tmp_path, pulumi_bin_dir)
    assert not (tmp_path / "home").exists(), "the Pulumi home holds nothing of ours beforehand"
    example.pulumi("plugin", "install", "resource", "polytomic", __version__, "--file", str(archive))
    installed = tmp_path / "home" / "plugins" / f"resource-polytomic-v{__version__}"
    assert (installed / "venv" / "bin" / "python").exists(), "pulumi plugin install made the plugin's venv"
    assert shutil.which("pulumi-resource-polytomic", path=example.env["PATH"]) is None
    example.lifecycle(emulator)
