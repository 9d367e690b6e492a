"""Where the Pulumi CLI is: shared by the test harness and the benchmark."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def find_pulumi_bin_dir() -> Path | None:
    """PULUMI_BIN_DIR (set by `make test` and `make bench`), else a `pulumi` on PATH, else ~/.pulumi/bin."""
    candidates = [os.environ.get("PULUMI_BIN_DIR"), os.path.dirname(shutil.which("pulumi") or "")]
    candidates.append(str(Path.home() / ".pulumi" / "bin"))
    for candidate in candidates:
        if candidate and (Path(candidate) / "pulumi").is_file():
            return Path(candidate)
    return None
