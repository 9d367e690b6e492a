"""The built wheel, installed on its own outside the checkout, is a working provider without a web server.

Everything else in the suite runs editable installs of the provider and the emulator; these tests run what
users get from `pip install polytomic-pulumi`: the program runs from a temporary folder with the clean
virtualenv as its Pulumi virtualenv, and no PYTHONPATH. The emulator, a distribution of its own, is not in
that virtualenv: it runs from this development virtualenv.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.version import __version__
from tests.cli_project import CliProject
from tests.packaging.distributions import CleanVenv, Distributions
from tests.support import CLIENT_SECRET, PARTNER_KEY

SERVER_PACKAGES = {"starlette", "uvicorn", "httptools", "uvloop"}
PROGRAM = Path(__file__).resolve().parent / "program.py"

# The distributions are built once, from this checkout (build/ and *.egg-info are written beside it): all
# of this module's tests run in one pytest-xdist worker, so no two builds race.
pytestmark = pytest.mark.xdist_group("packaging")


def test_sdist_and_wheel_carry_the_version(distributions: Distributions) -> None:
    assert distributions.wheel.name == f"polytomic_pulumi-{__version__}-py3-none-any.whl"
    assert distributions.sdist.name == f"polytomic_pulumi-{__version__}.tar.gz"
    assert distributions.wheel_metadata()["Version"] == __version__
    with tarfile.open(distributions.sdist) as sdist:
        names = sdist.getnames()
    assert f"polytomic_pulumi-{__version__}/polytomic_provider/version.py" in names


def test_wheel_requires_no_server_package_and_has_no_extra(distributions: Distributions) -> None:
    metadata = distributions.wheel_metadata()
    requirements = [Requirement(r) for r in metadata.get_all("Requires-Dist") or []]
    assert {r.name for r in requirements if r.marker is None} == {
        "pulumi",
        "httpx",
        "pydantic",
        "stamina",
        "certifi",
        "pyyaml",
    }
    assert "emulator" not in (metadata.get_all("Provides-Extra") or [])


def test_no_emulator_code_in_the_provider_distributions(distributions: Distributions) -> None:
    """The emulator is its own distribution (emulator/): neither the wheel nor the sdist carries it."""
    with zipfile.ZipFile(distributions.wheel) as wheel:
        wheel_files = wheel.namelist()
    with tarfile.open(distributions.sdist) as sdist:
        sdist_files = sdist.getnames()
    assert any(name.startswith("polytomic_provider/plugin/") for name in wheel_files)
    assert not [name for name in wheel_files if "emulator" in name]
    assert not [name for name in sdist_files if "emulator" in name.split("/", 1)[-1]]
    entry_points = next(name for name in wheel_files if name.endswith("entry_points.txt"))
    with zipfile.ZipFile(distributions.wheel) as wheel:
        assert "emulator" not in wheel.read(entry_points).decode()


def test_clean_install_has_no_server_package(clean_venv: CleanVenv, tmp_path: Path) -> None:
    listing = clean_venv.installed(cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    installed = {package["name"].lower(): package for package in json.loads(listing.stdout)}
    assert installed["polytomic-pulumi"]["version"] == __version__
    assert "editable_project_location" not in installed["polytomic-pulumi"]
    assert not SERVER_PACKAGES & set(installed)


def test_package_imports_from_the_clean_virtualenv(clean_venv: CleanVenv, tmp_path: Path) -> None:
    probe = (
        "import polytomic_provider as p; from polytomic_provider import Organization, get_organization; "
        "from polytomic_provider.provider import OrganizationProvider; print(p.__file__, p.__version__)"
    )
    result = clean_venv.run("python", "-c", probe, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    location, version = result.stdout.split()
    assert Path(location).is_relative_to(clean_venv.root)
    assert version == __version__


def test_cli_prints_its_version(clean_venv: CleanVenv, tmp_path: Path) -> None:
    result = clean_venv.run("polytomic-pulumi", "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"polytomic-pulumi {__version__}"


def test_clean_install_has_no_emulator(clean_venv: CleanVenv, tmp_path: Path) -> None:
    assert not (clean_venv.bin / "polytomic-emulator").exists()
    result = clean_venv.run("python", "-m", "polytomic_emulator", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    assert "No module named polytomic_emulator" in result.stderr


@pytest.mark.e2e
def test_program_lifecycle_with_the_installed_wheel(
    clean_venv: CleanVenv, emulator: EmulatorProcess, pulumi_bin_dir: Path, tmp_path: Path
) -> None:
    project = CliProject(
        tmp_path,
        name="wheel-test",
        program=PROGRAM,
        virtualenv=str(clean_venv.root),
        bin_dir=pulumi_bin_dir,
        passphrase="wheel-test-passphrase",
    )
    project.pulumi("stack", "init", "wheel")
    project.pulumi("config", "set", "polytomic:deploymentUrl", emulator.url)
    project.pulumi("config", "set", "--secret", "polytomic:partnerKey", stdin=PARTNER_KEY)
    project.pulumi("config", "set", "--secret", "clientSecret", stdin=CLIENT_SECRET)

    project.pulumi("up", "--yes", "--skip-preview")
    outputs = project.outputs()
    assert Path(outputs["provider_module"]).is_relative_to(clean_venv.root)
    names = {o["id"]: o["name"] for o in emulator.admin.organizations()}
    assert names[outputs["plain_id"]] == "Wheel Plain"
    assert names[outputs["oidc_id"]] == "Wheel OIDC"

    project.pulumi("preview", "--expect-no-changes")

    project.pulumi("destroy", "--yes", "--skip-preview")
    remaining = {o["id"] for o in emulator.admin.organizations()}
    assert not {outputs["plain_id"], outputs["oidc_id"]} & remaining


def test_the_wheel_installs_the_plugin_with_its_schema(
    clean_venv: CleanVenv, pulumi_bin_dir: Path, tmp_path: Path
) -> None:
    """The wheel's `pulumi-resource-polytomic` serves schema.json (package data) at the package's version."""
    plugin = clean_venv.root / "bin" / "pulumi-resource-polytomic"
    assert plugin.is_file()
    served = subprocess.run(
        [str(pulumi_bin_dir / "pulumi"), "package", "get-schema", str(plugin)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": str(pulumi_bin_dir),
            "PULUMI_HOME": str(tmp_path / "home"),
            "PULUMI_SKIP_UPDATE_CHECK": "1",
        },
        timeout=120,
    )
    assert served.returncode == 0, served.stderr
    schema = json.loads(served.stdout)
    assert schema["version"] == __version__ and "polytomic:index:Organization" in schema["resources"]
    alone = clean_venv.run("pulumi-resource-polytomic", cwd=tmp_path)
    assert alone.returncode != 0 and "the Pulumi engine starts it" in alone.stderr
