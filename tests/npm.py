"""npm installs for the tests that build or run TypeScript, from npm's cache first."""

from __future__ import annotations

import subprocess
from pathlib import Path


def npm_install(npm: str, folder: Path, *packages: str) -> None:
    """`npm install` in `folder` (its package.json, plus `packages`). npm keeps what it downloads in its own
    cache (~/.npm), and --prefer-offline serves it from there without asking the registry again, so only
    the first run on a machine downloads anything."""
    installed = subprocess.run(
        [npm, "install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", *packages],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    what = " ".join(("npm install", *packages))
    assert installed.returncode == 0, f"{what} failed:\n{installed.stderr[-3000:]}"
