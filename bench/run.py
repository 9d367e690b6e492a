"""Benchmark: the Organization provider against the engine's floor (a no-op dynamic provider) and the
network's floor (the same API calls made directly with httpx), through the real Pulumi CLI.

Run: ``make bench``, or ``.venv/bin/python bench/run.py [--sizes 1,10,100] [--repeat 3] [--quick]``
(``--profile`` and ``--experiments``: see below)

For each size N and each repetition, two stacks are created in a temporary directory (file:// backend,
passphrase secrets, a temporary PULUMI_HOME): one declaring N organizations (bench/programs/organizations),
one declaring N no-op dynamic resources (bench/programs/noop, provider `tests.e2e.noop.NoopProvider`,
pickled by reference like ours). Then, command by command, the two stacks run one after the other (in
alternating order), followed by the raw httpx calls for that command:

    pulumi up --yes --skip-preview          raw: N x POST /api/organizations (with an Idempotency-Key)
    pulumi preview --expect-no-changes      raw: nothing
    pulumi refresh --yes                    raw: N x GET /api/organizations/{id}
    pulumi destroy --yes                    raw: N x DELETE /api/organizations/{id}

"raw" is one keep-alive httpx.Client making the N calls one after the other; "raw x4" spreads them over
4 threads (the provider host serves at most 4 calls at once). Times are wall-clock seconds of the whole CLI
command, medians over the repetitions; ratios are medians of the per-repetition ratios (each provider run
is paired with the no-op run next to it, which cancels slow drifts in the machine's load). The emulator
runs on loopback with a temporary SQLite database.

Memory and CPU of the provider process (`python -m pulumi.dynamic`, which the engine starts through
pulumi-resource-pulumi-python): bench/hooks is put first on PYTHONPATH, so every Python process of the run
imports bench/hooks/sitecustomize.py, which in that process writes, at exit, its peak RSS (VmHWM from
/proc/self/status: the kernel's high-water mark over the process's whole life) and its CPU time. When a
command starts several provider processes (refresh and destroy start one for their preview and one for the
operation), the table shows the largest peak and the summed CPU.

``--profile`` then runs the four commands at the largest size once more for both stacks, with the probe's
stack sampler and per-gRPC-call timings on, and prints where the provider process's time goes.
``--experiments`` compares provider variants (bench/variants) and engine settings at the largest size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO))

from polytomic_provider.emulator.launcher import EmulatorProcess  # noqa: E402
from tests.pulumi_cli import find_pulumi_bin_dir  # noqa: E402

PARTNER_KEY = f"pk-bench-{secrets.token_hex(12)}"
PASSPHRASE = "bench-passphrase"
API_VERSION = "2025-09-18"
COMMANDS = ("up", "preview", "refresh", "destroy")
CLI_ARGS = {
    "up": ["up", "--yes", "--skip-preview"],
    "preview": ["preview", "--expect-no-changes"],
    "refresh": ["refresh", "--yes"],
    "destroy": ["destroy", "--yes"],
}
RAW_METHOD = {"up": "POST", "preview": None, "refresh": "GET", "destroy": "DELETE"}
RAW_THREADS = 4
COMMAND_TIMEOUT = 900.0
TARGET_PREVIEW = 1.3
TARGET_UP = 1.3
TARGET_PROVIDER_BYTES = 1024
TARGET_IMPORT_MS = 300.0


@dataclass(frozen=True)
class Variant:
    """One stack kind: a program under bench/programs, plus stack config and environment of its own."""

    name: str
    program: str
    organizations: bool  # declares organizations, so it needs the emulator's URL and key
    floor: str = "noop"  # the variant it is compared with in the experiments table
    config: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


PROVIDER = Variant("provider", "organizations", True)
NOOP = Variant("noop", "noop", False, floor="")
SKIP_CHECKPOINTS = (("PULUMI_SKIP_CHECKPOINTS", "1"),)
EXPERIMENTS = (
    NOOP,
    PROVIDER,
    Variant("light program", "variants", True, config=(("variant", "light"),)),
    Variant("light, no readback", "variants", True, config=(("variant", "light-no-readback"),)),
    Variant("noop, skip checkpoints", "noop", False, floor="", env=SKIP_CHECKPOINTS),
    Variant(
        "provider, skip checkpoints", "organizations", True, "noop, skip checkpoints", env=SKIP_CHECKPOINTS
    ),
    Variant(
        "light, no readback, skip checkpoints",
        "variants",
        True,
        "noop, skip checkpoints",
        config=(("variant", "light-no-readback"),),
        env=SKIP_CHECKPOINTS,
    ),
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the machine -----------------------------------------------------------------------------------------


def machine_summary() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return (
        f"nproc {len(os.sched_getaffinity(0))}, {model}, {memory} RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}"
    )


# -- the Pulumi CLI --------------------------------------------------------------------------------------


def pulumi_bin_dir() -> Path:
    found = find_pulumi_bin_dir()
    if found is None:
        raise SystemExit("no Pulumi CLI found: run 'scripts/install-pulumi' or use 'make bench', which does")
    return found


class CommandFailed(RuntimeError):
    pass


@dataclass
class Probe:
    """What bench/hooks/sitecustomize.py wrote for the Python processes of one command."""

    records: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == kind]

    @property
    def killed(self) -> list[str]:
        return [r["kind"] for r in self.records if r.get("killed")]

    @property
    def provider_rss_mib(self) -> float | None:
        rss = [r["peak_rss_kib"] for r in self.of("provider") if not r.get("killed")]
        return max(rss) / 1024 if rss else None

    @property
    def provider_cpu_s(self) -> float | None:
        cpu = [r["cpu_s"] for r in self.of("provider") if not r.get("killed")]
        return sum(cpu) if cpu else None


@dataclass
class Workspace:
    """A temporary directory with the state backend, PULUMI_HOME and one project directory per program."""

    root: Path
    bin_dir: Path
    emulator_url: str
    base_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, bin_dir: Path, emulator_url: str) -> Workspace:
        for name in ("state", "home", "probe"):
            (root / name).mkdir()
        for program in ("organizations", "noop", "variants"):
            project = root / program
            project.mkdir()
            shutil.copy(BENCH / "programs" / program / "__main__.py", project / "__main__.py")
            spec = {
                "name": f"bench-{program}",
                "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
            }
            (project / "Pulumi.yaml").write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("POLYTOMIC_", "PULUMI_", "BENCH_"))}
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            PULUMI_HOME=str(root / "home"),
            PULUMI_BACKEND_URL=(root / "state").as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="1",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
            PYTHONPATH=os.pathsep.join([str(BENCH / "hooks"), str(REPO)]),
        )
        return cls(root=root, bin_dir=bin_dir, emulator_url=emulator_url, base_env=env)

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
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
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


def collect_probe(directory: Path, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The reports of every probed Python process of one command, plus a `killed` record for each process
    that started but never reported (the engine SIGKILLed it after its 5 s shutdown grace).

    The CLI may return before a provider process has finished exiting, so wait for those still running.
    """
    deadline = time.monotonic() + timeout
    while True:
        started = {p.name.removesuffix(".start") for p in directory.glob("*.start")}
        done = {p.name.removesuffix(".json") for p in directory.glob("*.json")}
        running = {name for name in started - done if _alive(int(name.rsplit("-", 1)[1]))}
        if not running or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    records = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    for name in sorted(started - done):
        kind, pid = name.rsplit("-", 1)
        records.append({"kind": kind, "pid": int(pid), "killed": True})
    return records


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# -- the network floor -----------------------------------------------------------------------------------


class RawClient:
    """The API work of each command, done directly: one keep-alive client, serially or over threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: dict[str, list[str]] = {"serial": [], "threads": []}

    def _client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {PARTNER_KEY}", "X-Polytomic-Version": API_VERSION}
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, limits=limits)

    def run(self, command: str, size: int, prefix: str, mode: str) -> float:
        method = RAW_METHOD[command]
        if method is None:
            return 0.0
        began = time.perf_counter()
        with self._client() as client:
            if method == "POST":
                names = [f"{prefix}-{mode}-{i}" for i in range(size)]

                def one(name: str) -> str:
                    response = client.post(
                        "/api/organizations",
                        json={"name": name},
                        headers={"Idempotency-Key": f"bench-{secrets.token_hex(16)}"},
                    )
                    response.raise_for_status()
                    return str(response.json()["data"]["id"])

                self.ids[mode] = self._map(one, names, mode)
            else:

                def call(id_: str) -> str:
                    client.request(method, f"/api/organizations/{id_}").raise_for_status()
                    return id_

                self._map(call, self.ids[mode], mode)
        elapsed = time.perf_counter() - began
        if method == "DELETE":
            self.ids[mode] = []
        return elapsed

    @staticmethod
    def _map(function: Callable[[str], str], items: list[str], mode: str) -> list[str]:
        if mode == "serial":
            return [function(item) for item in items]
        with ThreadPoolExecutor(RAW_THREADS) as pool:
            return list(pool.map(function, items))


# -- the runs --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    rss_mib: float | None = None
    cpu_s: float | None = None
    api_calls: str = ""
    tree_cpu_s: float | None = None
    killed: tuple[str, ...] = ()  # probed processes the engine had to SIGKILL (each costs it a 5 s wait)


Results = dict[tuple[str, int, str], list[Sample]]  # (command, size, variant) -> one Sample per repetition


@dataclass
class Bench:
    workspace: Workspace
    emulator: EmulatorProcess
    raw: RawClient
    results: Results = field(default_factory=lambda: defaultdict(list))
    loads: list[float] = field(default_factory=list)
    provider_state_bytes: int | None = None
    provider_state_secret: bool | None = None

    def api_calls(self) -> str:
        """The requests in the emulator's journal (cleared before each command that makes any)."""
        entries = self.emulator.admin.journal()
        counts = Counter(entry["method"] for entry in entries)
        failed = sum(1 for entry in entries if (entry["status"] or 500) >= 400)
        text = " ".join(f"{counts[m]}{m[0]}" for m in ("POST", "GET", "PUT", "DELETE") if counts[m])
        if failed:
            text += f" ({failed} failed)"
        return text or "0"

    def repetition(self, variants: Sequence[Variant], size: int, repetition: int, *, raw: bool) -> None:
        """Every command for every variant at one size; the variants' order rotates between commands."""
        tag = f"n{size}-r{repetition}-{secrets.token_hex(3)}"
        stacks = {v.name: f"{v.program}-{tag}-{i}" for i, v in enumerate(variants)}
        for i, variant in enumerate(variants):
            self.workspace.new_stack(variant, stacks[variant.name], size, f"bench-{tag}-{i}")
        try:
            for index, command in enumerate(COMMANDS):
                shift = (repetition + index) % len(variants)
                for variant in [*variants[shift:], *variants[:shift]]:
                    self.run_command(command, size, variant, stacks[variant.name])
                    if command == "up" and variant == PROVIDER and self.provider_state_bytes is None:
                        self.read_provider_from_state(stacks[variant.name])
                if raw:
                    for mode in ("serial", "threads"):
                        seconds = self.raw.run(command, size, f"bench-{tag}-raw", mode)
                        self.results[(command, size, f"raw-{mode}")].append(Sample(seconds))
        finally:
            for variant in variants:
                self.workspace.remove_stack(variant, stacks[variant.name])

    def run_command(self, command: str, size: int, variant: Variant, stack: str) -> None:
        self.loads.append(os.getloadavg()[0])
        if variant.organizations:
            self.emulator.admin.clear_journal()
        args = [*CLI_ARGS[command], "--stack", stack]
        seconds, _, probe, tree_cpu = self.workspace.pulumi(variant, args, probe=True)
        calls = self.api_calls() if variant.organizations else ""
        killed = tuple(probe.killed)
        sample = Sample(seconds, probe.provider_rss_mib, probe.provider_cpu_s, calls, tree_cpu, killed)
        self.results[(command, size, variant.name)].append(sample)
        rss = f"{sample.rss_mib:.0f} MiB" if sample.rss_mib is not None else "? MiB"
        stall = f"  KILLED after 5 s: {', '.join(killed)}" if killed else ""
        log(f"  {command:<8} N={size:<4} {variant.name:<36} {seconds:7.2f} s  provider {rss}  {calls}{stall}")

    def read_provider_from_state(self, stack: str) -> None:
        state = self.workspace.exported_state(PROVIDER, stack)
        for item in state.get("deployment", {}).get("resources", []):
            value = item.get("inputs", {}).get("__provider")
            if value is None:
                continue
            if isinstance(value, str):
                self.provider_state_bytes, self.provider_state_secret = len(value.encode()), False
            else:
                self.provider_state_bytes, self.provider_state_secret = len(json.dumps(value).encode()), True
            return


# -- fixed costs: imports and the serialized provider ----------------------------------------------------


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


# -- the report ------------------------------------------------------------------------------------------


def median(samples: list[Sample], attribute: str = "seconds") -> float | None:
    """The median over the runs without a 5 s stall (over all runs if every one stalled)."""
    clean = [s for s in samples if not s.killed] or samples
    values = [getattr(s, attribute) for s in clean if getattr(s, attribute) is not None]
    return statistics.median(values) if values else None


def paired_ratio(
    numerator: list[Sample], denominator: list[Sample], extra: list[Sample] | None = None
) -> float | None:
    """Median over repetitions of numerator / (denominator + extra), each repetition with its own pair;
    pairs in which either run stalled are left out (unless every pair did)."""
    if not numerator or not denominator:
        return None
    ratios, clean = [], []
    for i, (top, bottom) in enumerate(zip(numerator, denominator, strict=False)):
        added = extra[i].seconds if extra and i < len(extra) else 0.0
        ratios.append(top.seconds / (bottom.seconds + added))
        if not top.killed and not bottom.killed:
            clean.append(ratios[-1])
    return statistics.median(clean or ratios)


def most_common(values: list[str]) -> str:
    return Counter(values).most_common(1)[0][0] if values else ""


def stalls(samples: list[Sample]) -> int:
    return sum(1 for sample in samples if sample.killed)


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def markdown(rows: list[tuple[str, ...]], left: int = 1) -> list[str]:
    """A Markdown table; the first `left` columns are left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column < left else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("| " + " | ".join(cells) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return lines


def render_table(results: Results, sizes: list[int]) -> list[str]:
    rows: list[tuple[str, ...]] = [
        (
            "command",
            "N",
            "provider s",
            "no-op s",
            "raw s",
            "raw x4 s",
            "prov/no-op",
            "prov/(no-op+raw)",
            "API calls",
            "prov RSS MiB",
            "no-op RSS MiB",
            "prov CPU s",
            "no-op CPU s",
            "all CPU prov/no-op",
            "5 s stalls",
        )
    ]
    for command in COMMANDS:
        for size in sizes:
            provider = results.get((command, size, PROVIDER.name), [])
            noop = results.get((command, size, NOOP.name), [])
            if not provider or not noop:
                continue
            raw = results.get((command, size, "raw-serial"), [])
            rows.append(
                (
                    command,
                    str(size),
                    fmt(median(provider)),
                    fmt(median(noop)),
                    fmt(median(raw) or 0.0, ".3f"),
                    fmt(median(results.get((command, size, "raw-threads"), [])) or 0.0, ".3f"),
                    fmt(paired_ratio(provider, noop)),
                    fmt(paired_ratio(provider, noop, raw)),
                    most_common([s.api_calls for s in provider]),
                    fmt(median(provider, "rss_mib"), ".0f"),
                    fmt(median(noop, "rss_mib"), ".0f"),
                    fmt(median(provider, "cpu_s")),
                    fmt(median(noop, "cpu_s")),
                    f"{fmt(median(provider, 'tree_cpu_s'))}/{fmt(median(noop, 'tree_cpu_s'))}",
                    f"{stalls(provider)}/{stalls(noop)}",
                )
            )
    return markdown(rows)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render_targets(
    results: Results,
    sizes: list[int],
    imports: dict[str, float],
    state_bytes: int | None,
    serialized: dict[str, int],
) -> list[str]:
    big = 100 if 100 in sizes else max(sizes)
    note = "" if big == 100 else f" (N={big}: 100 was not run)"
    lines = [f"Targets{note}:"]

    def samples(command: str, variant: str) -> list[Sample]:
        return results.get((command, big, variant), [])

    preview = paired_ratio(samples("preview", PROVIDER.name), samples("preview", NOOP.name))
    if preview is not None:
        lines.append(
            f"- no-change preview of {big}: {preview:.2f}x the no-op floor "
            f"(target <= {TARGET_PREVIEW}x): {verdict(preview <= TARGET_PREVIEW)}"
        )
    up = paired_ratio(samples("up", PROVIDER.name), samples("up", NOOP.name), samples("up", "raw-serial"))
    if up is not None:
        lines.append(
            f"- up of {big}: {up:.2f}x (no-op floor + raw API time) (target <= {TARGET_UP}x): "
            f"{verdict(up <= TARGET_UP)}"
        )
    provider_bytes = serialized["provider"]
    stored = f", {state_bytes} bytes as stored in the state" if state_bytes is not None else ""
    lines.append(
        f"- serialized __provider: {provider_bytes} bytes from serialize_provider{stored} (no-op provider: "
        f"{serialized['noop']} bytes) (target < {TARGET_PROVIDER_BYTES}): "
        f"{verdict(max(provider_bytes, state_bytes or 0) < TARGET_PROVIDER_BYTES)}"
    )
    package = imports["polytomic_provider"]
    lines.append(
        f"- import polytomic_provider: {package:.1f} ms (target < {TARGET_IMPORT_MS:.0f} ms): "
        f"{verdict(package < TARGET_IMPORT_MS)}"
    )
    lines.append(
        f"  (fresh interpreters, medians: polytomic_provider.resource, which pulls in pulumi, "
        f"{imports['polytomic_provider.resource']:.0f} ms; polytomic_provider.provider "
        f"{imports['polytomic_provider.provider']:.0f} ms; pulumi alone {imports['pulumi']:.0f} ms; "
        f"the no-op provider's module {imports['tests.e2e.noop']:.0f} ms)"
    )
    return lines


def render_experiments(results: Results, size: int, variants: Sequence[Variant]) -> list[str]:
    lines = [
        f"Experiments at N={size} (medians; x floor = paired ratio to the floor named in the last column):",
        "",
    ]
    header: list[str] = ["variant"]
    for command in COMMANDS:
        header += [f"{command} s", "x floor"]
    header += ["prov CPU s (up)", "API calls (up)", "floor"]
    rows: list[tuple[str, ...]] = [tuple(header)]
    for variant in variants:
        row = [variant.name]
        for command in COMMANDS:
            own = results.get((command, size, variant.name), [])
            floor = results.get((command, size, variant.floor), []) if variant.floor else []
            row += [fmt(median(own)), fmt(paired_ratio(own, floor)) if floor else ""]
        up = results.get(("up", size, variant.name), [])
        row += [fmt(median(up, "cpu_s")), most_common([s.api_calls for s in up]), variant.floor]
        rows.append(tuple(row))
    return lines + markdown(rows)


# -- in-process costs per call --------------------------------------------------------------------------


def per_call(function: Callable[[int], object], count: int) -> tuple[float, float]:
    """Median wall and CPU (this thread's) microseconds of `function(i)` over `count` calls, after one
    warm-up call (i = -1)."""
    function(-1)
    walls, cpus = [], []
    for i in range(count):
        began, began_cpu = time.perf_counter(), time.thread_time()
        function(i)
        walls.append(time.perf_counter() - began)
        cpus.append(time.thread_time() - began_cpu)
    return statistics.median(walls) * 1e6, statistics.median(cpus) * 1e6


def micro_benchmark(url: str, count: int = 200) -> list[str]:
    """What each layer costs per call, in this process, against the emulator: raw httpx, PolytomicClient,
    and the provider methods (with the no-op provider's methods for comparison). Serial calls."""
    from pulumi.dynamic import Config, ConfigureRequest

    from polytomic_provider.provider import CREATE_SCOPE, OrganizationProvider
    from tests.e2e.noop import NoopProvider

    provider = OrganizationProvider()
    raw_config = {"polytomic:partnerKey": PARTNER_KEY, "polytomic:deploymentUrl": url}
    provider.configure(ConfigureRequest(Config(raw_config=raw_config, project_name="bench")))
    from polytomic_provider.models import FIELDS, OrganizationSpec
    from polytomic_provider.runtime import RUNTIME

    client = RUNTIME.client()
    tag = secrets.token_hex(3)
    raw = RawClient(url)._client()
    ids: dict[str, list[str]] = defaultdict(list)

    def raw_post(i: int) -> None:
        response = raw.post(
            "/api/organizations",
            json={"name": f"micro-{tag}-raw-{i}"},
            headers={"Idempotency-Key": f"bench-{secrets.token_hex(16)}"},
        )
        ids["raw"].append(response.json()["data"]["id"])

    def client_create(i: int) -> None:
        spec = OrganizationSpec(name=f"micro-{tag}-client-{i}")
        ids["client"].append(
            client.create_organization(spec, idempotency_key=f"bench-{secrets.token_hex(16)}").id
        )

    def props(i: int, kind: str) -> dict[str, Any]:
        values: dict[str, Any] = dict.fromkeys(FIELDS)
        values.update(name=f"micro-{tag}-{kind}-{i}", adopt_id=None)
        values[CREATE_SCOPE] = f"bench/micro/{kind}-{i}"
        return values

    outputs: dict[str, dict[str, Any]] = {}

    def provider_create(i: int) -> None:
        result = provider.create(props(i, "provider"))
        ids["provider"].append(result.id)
        outputs[result.id] = result.outs

    rows: list[tuple[str, ...]] = [("call", "what it does", "wall us", "client CPU us")]

    def row(name: str, micros: tuple[float, float], what: str) -> None:
        rows.append((name, what, f"{micros[0]:,.0f}", f"{micros[1]:,.0f}"))

    row("raw httpx POST", per_call(raw_post, count), "one POST with an Idempotency-Key")
    row("PolytomicClient.create_organization", per_call(client_create, count), "the same, through the client")
    row("OrganizationProvider.create", per_call(provider_create, count), "POST, then GET (replay check)")
    row("raw httpx GET", per_call(lambda i: raw.get(f"/api/organizations/{ids['raw'][i]}"), count), "")
    row(
        "PolytomicClient.get_organization",
        per_call(lambda i: client.get_organization(ids["client"][i]), count),
        "",
    )
    provider_ids = ids["provider"]
    row(
        "OrganizationProvider.read",
        per_call(lambda i: provider.read(provider_ids[i], outputs[provider_ids[i]]), count),
        "one GET",
    )
    news = props(0, "provider")
    olds = outputs[provider_ids[0]]
    row("OrganizationProvider.check", per_call(lambda i: provider.check({}, news), count * 5), "no API call")
    row(
        "OrganizationProvider.diff",
        per_call(lambda i: provider.diff("x", olds, news), count * 5),
        "no API call",
    )
    noop = NoopProvider()
    noop_news = {"value": "x"}
    row("NoopProvider.check", per_call(lambda i: noop.check({}, noop_news), count * 5), "")
    row("NoopProvider.diff", per_call(lambda i: noop.diff("x", noop_news, noop_news), count * 5), "")
    row("raw httpx DELETE", per_call(lambda i: raw.delete(f"/api/organizations/{ids['raw'][i]}"), count), "")
    row(
        "PolytomicClient.delete_organization",
        per_call(lambda i: client.delete_organization(ids["client"][i]), count),
        "",
    )
    row(
        "OrganizationProvider.delete",
        per_call(lambda i: provider.delete(provider_ids[i], outputs[provider_ids[i]]), count),
        "one DELETE",
    )
    raw.close()
    return [
        f"Per call, in one process, serial, against the emulator (medians of {count} calls, or {5 * count} "
        "for check and diff; the warm-up call that opens the connection is left out; client CPU: this "
        "thread's CPU time, the emulator's excluded):",
        "",
        *markdown(rows, left=2),
    ]


# -- profile ---------------------------------------------------------------------------------------------


def profile(workspace: Workspace, size: int) -> list[str]:
    """Run the four commands once per kind with the sampler on, and summarize the provider processes."""
    tag = f"profile-n{size}-{secrets.token_hex(3)}"
    lines = [f"Profile of the provider processes, N={size} (stack sampler and per-gRPC-call timings on):"]
    env = {"BENCH_PROFILE": "1"}
    for variant in (PROVIDER, NOOP):
        stack = f"{variant.program}-{tag}"
        workspace.new_stack(variant, stack, size, f"bench-{tag}")
        try:
            for command in COMMANDS:
                seconds, _, probe, _ = workspace.pulumi(
                    variant, [*CLI_ARGS[command], "--stack", stack], probe=True, extra_env=env
                )
                lines.append(f"\n== {variant.name} {command}: {seconds:.2f} s wall (profiled)")
                detailed = variant == PROVIDER and command in ("up", "preview")
                lines.extend(describe_probe(probe, detailed=detailed))
        finally:
            workspace.remove_stack(variant, stack)
    return lines


def describe_probe(probe: Probe, *, detailed: bool) -> Iterator[str]:
    for record in probe.of("program"):
        yield (
            f"   program process: {record['wall_s']:.2f} s alive, {record['cpu_s']:.2f} s CPU, "
            f"{record['peak_rss_kib'] / 1024:.0f} MiB peak, {record['modules']} modules"
        )
        if detailed:
            yield from describe_samples(record.get("profile"))
    for record in probe.of("provider"):
        calls = record.get("calls", [])
        yield (
            f"   provider process {record['pid']}: {record['wall_s']:.2f} s alive, "
            f"{record['cpu_s']:.2f} s CPU, {record['peak_rss_kib'] / 1024:.0f} MiB peak, "
            f"{record['modules']} modules, {len(calls)} gRPC calls"
        )
        by_name: dict[str, list[float]] = defaultdict(list)
        for name, began, ended in calls:
            by_name[name].append(ended - began)
        if calls:
            first = min(began for _, began, _ in calls)
            last = max(ended for _, _, ended in calls)
            busy = sum(ended - began for _, began, ended in calls)
            yield (
                f"     first call at {first:.2f} s after start, last returned at {last:.2f} s; "
                f"mean calls in flight {busy / max(last - first, 1e-9):.2f}"
            )
        for name, durations in sorted(by_name.items(), key=lambda item: -sum(item[1])):
            ms = [d * 1000 for d in durations]
            rest = sorted(ms[1:]) or ms
            yield (
                f"     {name:<9} x{len(ms):<4} total {sum(ms) / 1000:6.2f} s  first {ms[0]:7.2f} ms  "
                f"then median {statistics.median(rest):6.2f} ms, mean {statistics.mean(rest):6.2f} ms, "
                f"max {rest[-1]:7.2f} ms"
            )
        if detailed:
            yield from describe_samples(record.get("profile"))


def describe_samples(summary: dict[str, Any] | None) -> Iterator[str]:
    if not summary or not summary["samples"]:
        return
    total = summary["samples"]
    every = summary["interval"] * 1000
    yield f"     {total} busy-thread samples (one every {every:.0f} ms per thread); innermost frames:"
    for name, count in summary["leaf"][:15]:
        yield f"       {100 * count / total:5.1f}%  {name}"
    yield "     functions on the stack (inclusive):"
    for name, count in summary["inclusive"][:40]:
        yield f"       {100 * count / total:5.1f}%  {name}"
    yield "     most frequent stacks (innermost first):"
    for stack, count in summary["stacks"][:12]:
        yield f"       {100 * count / total:5.1f}%  {stack}"


# -- main ------------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 1,10,100")
    return sizes


@contextmanager
def temporary_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="polytomic-bench-"))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, default=[1, 10, 100], help="resource counts (1,10,100)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the table shows medians (3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: sizes 1,5 and one repetition")
    parser.add_argument("--profile", action="store_true", help="also profile the provider at the largest N")
    parser.add_argument(
        "--experiments", action="store_true", help="also compare provider variants at the largest N"
    )
    parser.add_argument("--no-table", action="store_true", help="skip the main table")
    args = parser.parse_args()
    # A SIGTERM (from `timeout`, say) unwinds like Ctrl-C: the emulator stops, the temporary directory goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes: list[int] = [1, 5] if args.quick else args.sizes
    repeat: int = 1 if args.quick else max(1, args.repeat)

    bin_dir = pulumi_bin_dir()
    version = subprocess.run(
        [str(bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    began = time.perf_counter()
    log(f"Pulumi CLI {version} at {bin_dir}; sizes {sizes}, {repeat} repetition(s)")

    modules = (
        "polytomic_provider",
        "polytomic_provider.resource",
        "polytomic_provider.provider",
        "pulumi",
        "tests.e2e.noop",
    )
    imports = {module: import_ms(module) for module in modules}
    serialized = serialized_sizes()

    with temporary_root() as root, EmulatorProcess(partner_key=PARTNER_KEY) as emulator:
        workspace = Workspace.create(root, bin_dir, emulator.url)
        bench = Bench(workspace, emulator, RawClient(emulator.url))
        if not args.no_table:
            for repetition in range(repeat):
                for size in sizes:
                    log(f"repetition {repetition + 1}/{repeat}, N={size}")
                    bench.repetition((PROVIDER, NOOP), size, repetition, raw=True)
        experiments = Bench(workspace, emulator, RawClient(emulator.url))
        if args.experiments:
            for repetition in range(repeat):
                log(f"experiments, repetition {repetition + 1}/{repeat}, N={max(sizes)}")
                experiments.repetition(EXPERIMENTS, max(sizes), repetition, raw=False)
        profile_lines = profile(workspace, max(sizes)) if args.profile else []
        micro_lines = micro_benchmark(emulator.url) if args.profile else []
        emulator_log_tail = emulator.log_text()[-2000:]
    wall = time.perf_counter() - began

    loads = bench.loads + experiments.loads
    nproc = len(os.sched_getaffinity(0))
    out = [
        "Polytomic provider benchmark",
        f"Machine: {machine_summary()}",
        f"Pulumi CLI {version}; emulator on loopback (temporary SQLite database); "
        f"medians of {repeat} run(s); total wall time {wall / 60:.1f} min",
    ]
    if loads:
        out.append(
            f"1-minute load average before each command (the benchmark itself accounts for 1 to 2): "
            f"median {statistics.median(loads):.1f}, max {max(loads):.1f}, on {nproc} CPUs"
        )
    out.append("")
    if not args.no_table:
        out += render_table(bench.results, sizes)
        out += [
            "",
            "provider / no-op: seconds of the whole CLI command (CLI start, program, engine, provider "
            "process). raw: N httpx calls on one keep-alive client, serially (raw x4: over 4 threads); "
            "up = POST, refresh = GET, destroy = DELETE, preview = none. Ratios: medians of per-repetition "
            "ratios. API calls: requests the provider made, from the emulator's journal (P/G/D = "
            "POST/GET/DELETE). RSS: peak resident memory (VmHWM) of the `python -m pulumi.dynamic` "
            "process; CPU: its user+system seconds. all CPU: user+system seconds of the command's whole "
            "process tree (CLI, language host, program, provider), which other work on the machine "
            "disturbs much less than wall time. 5 s stalls: runs (provider/no-op) in which the engine had "
            "to SIGKILL a Python plugin (language host or provider) that did not exit within 5 s of its "
            "SIGINT, which adds 5 s to that run: both hosts park their main thread in Event.wait() with no "
            "timeout, so a SIGINT that the kernel hands to one of their gRPC threads is never acted on. "
            "Such runs are left out of the medians and ratios.",
            "",
        ]
        out += render_targets(bench.results, sizes, imports, bench.provider_state_bytes, serialized)
        if bench.provider_state_secret:
            out.append("  (the __provider in the state is a secret: the stored size is of its ciphertext)")
    if args.experiments:
        out += ["", *render_experiments(experiments.results, max(sizes), EXPERIMENTS)]
    if micro_lines:
        out += ["", *micro_lines]
    if profile_lines:
        out += ["", *profile_lines]
    if "Traceback" in emulator_log_tail:
        out += ["", "The emulator logged an error:", emulator_log_tail]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
