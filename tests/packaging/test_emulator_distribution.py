"""The emulator is a distribution of its own: built from emulator/, it carries no provider code, needs no
provider to install, and serves the API from a virtualenv that holds only it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_emulator.version import __version__
from tests.packaging.conftest import REPO, constraints_file
from tests.packaging.distributions import CleanVenv

pytestmark = pytest.mark.xdist_group("packaging")


@pytest.fixture(scope="module")
def emulator_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("emulator-dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--wheel",
            "--outdir",
            str(out),
            str(REPO / "emulator"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("*.whl")
    return wheel


def test_emulator_wheel_holds_only_the_emulator(emulator_wheel: Path) -> None:
    assert emulator_wheel.name == f"polytomic_emulator-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(emulator_wheel) as wheel:
        names = wheel.namelist()
        metadata = Parser().parsestr(
            wheel.read(f"polytomic_emulator-{__version__}.dist-info/METADATA").decode()
        )
        entry_points = wheel.read(f"polytomic_emulator-{__version__}.dist-info/entry_points.txt").decode()
    packages = {name.split("/", 1)[0] for name in names if "/" in name and ".dist-info/" not in name}
    assert packages == {"polytomic_emulator"}
    requirements = {Requirement(r).name for r in metadata.get_all("Requires-Dist") or []}
    assert "polytomic-pulumi" not in requirements and "pulumi" not in requirements
    assert {"starlette", "uvicorn"} <= requirements
    assert "polytomic-emulator = polytomic_emulator.__main__:main" in entry_points


def test_emulator_serves_from_a_virtualenv_without_the_provider(
    emulator_wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv, result = CleanVenv.create(tmp_path / "venv", emulator_wheel, constraints_file(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.chdir(tmp_path)  # away from the checkout, whose folder would make the provider importable
    monkeypatch.delenv("PYTHONPATH", raising=False)
    probe = subprocess.run(
        [str(venv.python), "-c", "import polytomic_provider"], capture_output=True, text=True, timeout=60
    )
    assert probe.returncode == 1 and "No module named 'polytomic_provider'" in probe.stderr

    # The launcher runs `<python> -m polytomic_emulator`: point it at the clean virtualenv's Python.
    emulator = EmulatorProcess(partner_key="emulator-alone-partner-key", python=str(venv.python))
    with emulator:
        assert emulator.admin.health()
        owner = emulator.admin.organizations()
        assert len(owner) == 1
