"""Costs paid once per process, whatever the number of resources: importing the package and the size of
the pickled provider that every resource carries in the state."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from bench.session import REPO

# The modules whose import times the targets report.
MEASURED_IMPORTS = (
    "polytomic_provider",
    "polytomic_provider.resource",
    "polytomic_provider.provider",
    "pulumi",
    "tests.e2e.noop",
)


def import_ms(module: str, runs: int = 7) -> float:
    """Median time to import `module` in a fresh interpreter (the import alone, not interpreter start-up)."""
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BENCH_PROBE_DIR")}
    env["PYTHONPATH"] = str(REPO)
    timings = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        timings.append(float(output.strip()))
    return statistics.median(timings)


def serialized_sizes() -> dict[str, int]:
    code = (
        "import json; from pulumi.dynamic.dynamic import serialize_provider; "
        "from polytomic_provider.provider import OrganizationProvider; "
        "from tests.e2e.noop import NoopProvider; "
        "print(json.dumps({'provider': len(serialize_provider(OrganizationProvider())), "
        "'noop': len(serialize_provider(NoopProvider()))}))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    output = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    sizes: dict[str, int] = json.loads(output)
    return sizes
