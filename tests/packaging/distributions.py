"""What the packaging tests work on: the built sdist and wheel, and a clean virtualenv holding the wheel."""

from __future__ import annotations

import subprocess
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


@dataclass(frozen=True)
class CleanVenv:
    """A virtualenv holding the wheel and what it requires, nothing else."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

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
