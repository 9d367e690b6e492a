"""What the packaging tests work on: the built sdist and wheel, and a clean virtualenv holding the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

from polytomic_provider.version import __version__
from tests.cli_project import clean_env


@dataclass(frozen=True)
class Distributions:
    sdist: Path
    wheel: Path

    def wheel_metadata(self) -> Message:
        """The wheel's METADATA: name, version, requirements."""
        with zipfile.ZipFile(self.wheel) as wheel:
            text = wheel.read(f"polytomic_pulumi-{__version__}.dist-info/METADATA").decode()
        return Parser().parsestr(text)


def install_into_new_venv(venv: Path, wheel: Path, constraints: Path) -> subprocess.CompletedProcess[str]:
    """Make a virtualenv at `venv` holding `wheel` and what it requires, pinned by `constraints`.

    The virtualenv is made without pip (`venv --without-pip`) and filled by this virtualenv's pip through
    `pip --python`: ensurepip would install the older pip bundled with Python, which then installs the same
    packages. Measured on the 2-core machine: 9 s of CPU, against 26 s for `venv` and its own pip."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    env = {**clean_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    return subprocess.run(
        [*pip, "install", "--quiet", str(wheel), "--constraint", str(constraints)],
        cwd=venv.parent,
        env=env,
        capture_output=True,
        text=True,
    )


@dataclass(frozen=True)
class CleanVenv:
    """A virtualenv holding the wheel and what it requires, nothing else."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def installed(self, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`pip list --format json` of the virtualenv (which holds no pip: this virtualenv's lists it)."""
        return subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(self.bin / "python"), "list", "--format", "json"],
            cwd=cwd,
            env={**clean_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def run(self, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run one of its programs from `cwd` (outside the checkout), with no PYTHONPATH.

        The timeout turns a program that should have stopped at once (an emulator that starts) into a
        failure, not a hung suite."""
        return subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            cwd=cwd,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
