"""The Pulumi CLI in isolation: stacks in a temporary directory with their own backend and PULUMI_HOME,
commands timed with their process tree's CPU, and a CLI that is stopped cleanly when interrupted."""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.probe import Probe, collect_probe
from bench.session import BENCH, PARTNER_KEY, REPO, log
from bench.stacks import Variant
from tests.pulumi_cli import find_pulumi_bin_dir

PASSPHRASE = "bench-passphrase"
COMMAND_TIMEOUT = 900.0


def pulumi_bin_dir() -> Path:
    """The CLI to benchmark; without one, say how to get it rather than fail later."""
    found = find_pulumi_bin_dir()
    if found is None:
        raise SystemExit("no Pulumi CLI found: run 'scripts/install-pulumi' or use 'make bench', which does")
    return found


def pulumi_version(bin_dir: Path) -> str:
    """The CLI's version, for the report's header."""
    return subprocess.run(
        [str(bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=False
    ).stdout.strip()


def compile_bytecode() -> None:
    """Write the bytecode of the provider and of the no-op floor's provider, as `pip install` of a wheel
    does. Without it, each provider process would compile them from source: the project's install is
    editable (pip compiles none of it), and where PYTHONDONTWRITEBYTECODE is set (CI machines) Python never
    writes the cache itself. A user's installed provider loads from bytecode; so do the measured ones."""
    for folder in (REPO / "polytomic_provider", REPO / "tests" / "e2e"):
        compileall.compile_dir(folder, quiet=1)


class CommandFailed(RuntimeError):
    """A CLI command exited non-zero; the message carries the tail of its output."""


@dataclass
class Workspace:
    """A temporary directory with the state backend, PULUMI_HOME and one project directory per program."""

    root: Path
    bin_dir: Path
    emulator_url: str
    base_env: dict[str, str] = field(default_factory=dict)
    command_timeout: float = COMMAND_TIMEOUT

    @classmethod
    def create(
        cls, root: Path, bin_dir: Path, emulator_url: str, *, command_timeout: float = COMMAND_TIMEOUT
    ) -> Workspace:
        for name in ("state", "home", "probe"):
            (root / name).mkdir()
        for main in sorted((BENCH / "programs").glob("*/__main__.py")):
            program = main.parent.name
            project = root / program
            project.mkdir()
            shutil.copy(main, project / "__main__.py")
            spec = {
                "name": f"bench-{program}",
                "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
            }
            (project / "Pulumi.yaml").write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POLYTOMIC_", "PULUMI_", "BENCH_"))}
        env.update(
            # The CLI, then this virtualenv's scripts: the engine finds pulumi-resource-polytomic on PATH.
            PATH=os.pathsep.join([str(bin_dir), str(Path(sys.prefix) / "bin"), os.environ.get("PATH", "")]),
            PULUMI_HOME=str(root / "home"),
            PULUMI_BACKEND_URL=(root / "state").as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
            PYTHONPATH=os.pathsep.join([str(BENCH / "hooks"), str(REPO)]),
        )
        return cls(
            root=root,
            bin_dir=bin_dir,
            emulator_url=emulator_url,
            base_env=env,
            command_timeout=command_timeout,
        )

    def pulumi(
        self,
        variant: Variant,
        args: list[str],
        *,
        probe: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> tuple[float, str, Probe, float]:
        """Run one CLI command in the project of `variant`; return its wall time, output, probe and the CPU
        seconds of its whole process tree (CLI, language host, program, provider: every waited-for child)."""
        env = dict(self.base_env, **dict(variant.env), **(extra_env or {}))
        probe_dir = Path(tempfile.mkdtemp(dir=self.root / "probe"))
        if probe:
            env["BENCH_PROBE_DIR"] = str(probe_dir)
        cpu_before = _children_cpu()
        began = time.perf_counter()
        process = subprocess.Popen(
            [str(self.bin_dir / "pulumi"), *args, "--non-interactive", "--color", "never"],
            cwd=self.root / variant.program,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=self.command_timeout)
        except BaseException:
            # Interrupted or too slow: let the CLI stop its plugins (they run in process groups of their
            # own and would outlive a killed CLI), then make sure it is gone.
            stop_cli(process)
            raise
        elapsed = time.perf_counter() - began
        cpu = _children_cpu() - cpu_before
        if process.returncode != 0:
            raise CommandFailed(
                f"pulumi {' '.join(args)} ({variant.name}) exited with {process.returncode}:\n"
                f"{stdout[-4000:]}\n{stderr[-4000:]}"
            )
        records = collect_probe(probe_dir) if probe else []
        shutil.rmtree(probe_dir, ignore_errors=True)
        return elapsed, stdout, Probe(records), cpu

    def new_stack(self, variant: Variant, name: str, size: int, prefix: str) -> None:
        self.pulumi(variant, ["stack", "init", name, "--secrets-provider", "passphrase"])
        values = [("prefix", prefix), ("count", str(size)), *variant.config]
        config = ["config", "set-all", "--stack", name]
        for key, value in values:
            config += ["--plaintext", f"{key}={value}"]
        if variant.organizations:
            config += ["--plaintext", f"polytomic:deploymentUrl={self.emulator_url}"]
            config += ["--secret", f"polytomic:partnerKey={PARTNER_KEY}"]
        self.pulumi(variant, config)

    def remove_stack(self, variant: Variant, name: str) -> None:
        try:
            self.pulumi(variant, ["stack", "rm", "--yes", "--force", "--stack", name])
        except CommandFailed as error:
            log(f"warning: {error}")

    def exported_state(self, variant: Variant, name: str) -> dict[str, Any]:
        output = self.pulumi(variant, ["stack", "export", "--stack", name])[1]
        state: dict[str, Any] = json.loads(output)
        return state


def stop_cli(process: subprocess.Popen[str], grace: float = 30.0) -> None:
    """SIGINT (the CLI then cancels the operation and stops its plugins), SIGKILL after `grace` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def temporary_root() -> Iterator[Path]:
    """The run's temporary directory, removed however the run ends."""
    root = Path(tempfile.mkdtemp(prefix="polytomic-bench-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)
