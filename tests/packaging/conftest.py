"""The built distributions, and a clean virtualenv outside the checkout with only the wheel installed.

Both are built once per test session: `python -m build` makes the sdist, then the wheel *from the sdist* (so
a file missing from the sdist breaks the wheel too). The virtualenv gets the wheel without any extra, pinned
to the versions of this development virtualenv so that pip takes them from its cache and the test sees the
dependencies the rest of the suite ran with.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.distributions import CleanVenv, Distributions

REPO = Path(__file__).resolve().parents[2]
OURS = {"polytomic-pulumi", "polytomic-emulator"}


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    out = tmp_path_factory.mktemp("dist")
    # No isolation: the build requirements are dev dependencies of this virtualenv, so nothing is fetched.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Distributions(sdist=sdist, wheel=wheel)


def constraints_file(folder: Path) -> Path:
    """`name==version` of every package here but ours, written to `folder`: what pip may install into a
    clean virtualenv (so that it comes from pip's cache, at the versions the rest of the suite ran with)."""
    pins = {
        dist.metadata["Name"]: dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"] and dist.metadata["Name"].lower() not in OURS
    }
    path = folder / "constraints.txt"
    path.write_text("".join(f"{name}=={version}\n" for name, version in sorted(pins.items())))
    return path


@pytest.fixture(scope="session")
def clean_venv(tmp_path_factory: pytest.TempPathFactory, distributions: Distributions) -> CleanVenv:
    root = tmp_path_factory.mktemp("wheel-venv")
    venv, result = CleanVenv.create(root / "venv", distributions.wheel, constraints_file(root))
    if result.returncode != 0:
        pytest.fail(f"pip install of the wheel failed:\n{result.stdout}{result.stderr}")
    assert os.path.commonpath([venv.root, REPO]) != str(REPO)
    return venv
