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


def _outer_pip(
    python: Path, *args: str, cwd: Path, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """Run this virtualenv's pip on the interpreter `python` (`pip --python`, pip 22.3 or later; `make`
    upgrades pip): pip's own code comes from here, the packages it sees and installs are the target's."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), *args],
        cwd=cwd,
        env={**clean_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class CleanVenv:
    """A virtualenv holding a wheel and what it requires, nothing else: no pip (or setuptools) either."""

    root: Path

    @classmethod
    def create(
        cls, root: Path, wheel: Path, constraints: Path
    ) -> tuple[CleanVenv, subprocess.CompletedProcess[str]]:
        """Make one at `root` holding `wheel`, its requirements pinned by `constraints`; pip's result is
        returned for the caller to report.

        Made with `venv --without-pip` and filled by this virtualenv's pip: plain `venv` would install the
        older pip bundled with Python (and, on 3.11, setuptools), and that pip installs the same packages
        more slowly (measured on the 2-core machine: 9 s of CPU, against 26 s). pip has no timeout of its
        own: pytest-timeout's (pyproject.toml) bounds the test, and reports where it hung."""
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
        venv = cls(root)
        command = ("install", "--quiet", str(wheel), "--constraint", str(constraints))
        return venv, _outer_pip(venv.python, *command, cwd=root.parent)

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def installed(self, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`pip list --format json` of the virtualenv, by this virtualenv's pip."""
        return _outer_pip(self.python, "list", "--format", "json", cwd=cwd, timeout=60)

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
