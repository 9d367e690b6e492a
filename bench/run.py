"""Benchmark: the Organization provider, as the dynamic provider and as the provider plugin, against the
engine's floor (a no-op dynamic provider) and the network's floor (the same API calls made directly with
httpx), through the real Pulumi CLI.

Run: ``make bench``, or ``.venv/bin/python bench/run.py [--sizes 1,10,100,1000] [--latencies 0,100]
[--kinds provider,plugin,noop] [--parallel 8] [--repeat 3] [--quick]`` (``--profile`` and
``--experiments``: see below); ``make bench BENCH_ARGS="--sizes 100 --latencies 100"`` passes options
through. The run of 5,000 organizations is bench/scale.py (``make bench-scale``).

Every table row is measured at each API latency of ``--latencies`` (milliseconds added to every API call by
the emulator's latency fault: 0 is loopback, 100 is a CI runner talking to a SaaS API), and every command is
run with ``--parallel`` (8, the CLI's default on two cores). The *ideal* beside each row is the no-op floor
plus the counted API calls made ``--parallel`` at a time, each round trip costing the latency: the engine's
limit, the same for both kinds of provider (the dynamic provider's host serves at most 4 of them at once,
the plugin as many as the engine sends).

For each latency, size N and repetition, one stack per kind of ``--kinds`` is created in a temporary
directory (file:// backend, passphrase secrets, a temporary PULUMI_HOME): *provider*, N organizations of the
dynamic provider (bench/programs/organizations); *plugin*, the same N organizations served by the provider
plugin pulumi-resource-polytomic, which the engine finds on PATH in this virtualenv's bin folder
(bench/programs/plugin-organizations); *noop*, N no-op dynamic resources (bench/programs/noop, provider
`tests.e2e.noop.NoopProvider`, pickled by reference like ours), the floor every row is compared with. Then,
command by command, the stacks run one after the other (in rotating order), followed by the raw httpx calls
for that command:

    pulumi up --yes --skip-preview                                  raw: N x POST /api/organizations
    pulumi preview --expect-no-changes                              raw: nothing
    pulumi up --yes --skip-preview --refresh --expect-no-changes    raw: 1 x GET /api/organizations
    pulumi refresh --yes                                            raw: 1 x GET /api/organizations
    pulumi destroy --yes                                            raw: N x DELETE /api/organizations/{id}

"raw" is one keep-alive httpx.Client making the N calls one after the other; "raw x4" spreads them over
4 threads (the provider host serves at most 4 calls at once). POSTs carry an Idempotency-Key. With
latency, only the list call is timed (N calls at 100 ms would take minutes; the ideal says the same).
Times are wall-clock seconds of the whole CLI command, medians over the repetitions; ratios are medians of
the per-repetition ratios (each provider run is paired with the no-op run next to it, which cancels slow
drifts in the machine's load). The emulator runs on loopback with a temporary SQLite database.

Memory and CPU of the provider process (`python -m pulumi.dynamic`, which the engine starts through
pulumi-resource-pulumi-python, or pulumi-resource-polytomic): bench/hooks is put first on PYTHONPATH, so
every Python process of the run imports bench/hooks/sitecustomize.py, which in that process writes, at exit,
its peak RSS (VmHWM from /proc/self/status: the kernel's high-water mark over the process's whole life) and
its CPU time. When a command starts several provider processes (refresh and destroy start one for their
preview and one for the operation), the table shows the largest peak and the summed CPU. The emulator's
journal gives, besides the API calls of each command, their span and the most of them in flight at once.

``--profile`` then runs the commands at the largest size and the largest latency once more for every
kind, with the probe's stack sampler and per-gRPC-call timings on, and prints where the provider
process's time goes.
``--experiments`` compares provider variants (bench/variants) and engine settings at the largest size.

``--users`` adds the users rows: ``--user-count`` users (100) spread over 4 organizations, created by one
program (bench/programs/users, or bench/programs/plugin-users for the plugin), beside N + 4 no-op resources,
through ``up``, ``refresh`` and ``destroy`` at each of ``--latencies``. ``--write-docs`` writes the
tables run into docs/benchmarks.md, between their markers. Only the users rows at 100 ms:
``bench/run.py --no-table --users --latencies 100 --write-docs``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path; the repository root makes `bench`,
# `polytomic_provider` and `tests` importable as packages.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.fixed_costs import MEASURED_IMPORTS, import_ms, serialized_sizes
from bench.measure import Bench
from bench.profiling import micro_benchmark, profile
from bench.raw import RawClient
from bench.report import (
    README_COLUMNS,
    TABLE_LEGEND,
    render_experiments,
    render_header,
    render_readme_block,
    render_table,
    render_targets,
    render_users_block,
    write_block,
)
from bench.session import PARTNER_KEY, REPO, log
from bench.stacks import (
    EXPERIMENTS,
    KINDS,
    NOOP,
    PARALLEL,
    USER_COMMANDS,
    USER_ORGANIZATIONS,
    USERS,
    Variant,
)
from bench.workspace import Workspace, compile_bytecode, pulumi_bin_dir, pulumi_version, temporary_root
from polytomic_emulator.launcher import EmulatorProcess


def parse_sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 1,10,100")
    return sizes


def parse_latencies(text: str) -> list[int]:
    latencies = sorted({int(part) for part in text.split(",") if part.strip()})
    if not latencies or min(latencies) < 0 or max(latencies) > 60_000:
        raise argparse.ArgumentTypeError("latencies are milliseconds from 0 to 60000, e.g. 0,100")
    return latencies


def parse_kinds(text: str) -> tuple[Variant, ...]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in KINDS]
    if unknown or NOOP.name not in names:
        raise argparse.ArgumentTypeError(
            f"kinds are some of {','.join(KINDS)}, with {NOOP.name} (the floor every row is compared with)"
        )
    return tuple(KINDS[name] for name in KINDS if name in names)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=parse_sizes, default=[1, 10, 100, 1000], help="resource counts (1,10,100,1000)"
    )
    parser.add_argument(
        "--latencies", type=parse_latencies, default=[0, 100], help="ms added to each API call (0,100)"
    )
    parser.add_argument(
        "--kinds",
        type=parse_kinds,
        default=tuple(KINDS.values()),
        help=f"the stacks to run ({','.join(KINDS)}; {NOOP.name} always among them)",
    )
    parser.add_argument(
        "--parallel", type=int, default=PARALLEL, help=f"the engine's --parallel ({PARALLEL})"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the table shows medians (3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: sizes 1,5 and one repetition")
    parser.add_argument("--profile", action="store_true", help="also profile the provider at the largest N")
    parser.add_argument(
        "--experiments", action="store_true", help="also compare provider variants at the largest N"
    )
    parser.add_argument("--no-table", action="store_true", help="skip the main table")
    parser.add_argument("--users", action="store_true", help="also run the users rows (see above)")
    parser.add_argument("--user-count", type=int, default=100, help="users of the users rows (100)")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the tables run into docs/benchmarks.md"
    )
    args = parser.parse_args()
    # A SIGTERM (from `timeout`, say) unwinds like Ctrl-C: the emulator stops, the temporary directory goes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes: list[int] = [1, 5] if args.quick else args.sizes
    repeat: int = 1 if args.quick else max(1, args.repeat)

    bin_dir = pulumi_bin_dir()
    version = pulumi_version(bin_dir)
    began = time.perf_counter()
    log(f"Pulumi CLI {version} at {bin_dir}; sizes {sizes}, {repeat} repetition(s)")

    compile_bytecode()
    imports = {module: import_ms(module) for module in MEASURED_IMPORTS}
    serialized = serialized_sizes()

    with temporary_root() as root, EmulatorProcess(partner_key=PARTNER_KEY) as emulator:
        workspace = Workspace.create(root, bin_dir, emulator.url)
        benches = {
            latency: Bench(workspace, emulator, RawClient(emulator.url), latency, args.parallel)
            for latency in args.latencies
        }
        if not args.no_table:
            for repetition in range(repeat):
                for latency, bench in benches.items():
                    for size in sizes:
                        log(f"repetition {repetition + 1}/{repeat}, {latency} ms per API call, N={size}")
                        bench.repetition(args.kinds, size, repetition, raw=True)
        user_kinds = [v for v in USERS if v.name in {kind.name for kind in args.kinds}]
        user_benches = {
            latency: Bench(workspace, emulator, RawClient(emulator.url), latency, args.parallel)
            for latency in (args.latencies if args.users else [])
        }
        for repetition in range(repeat):
            for latency, bench in user_benches.items():
                log(f"users, repetition {repetition + 1}/{repeat}, {latency} ms per API call")
                bench.repetition(user_kinds, args.user_count, repetition, raw=False, commands=USER_COMMANDS)
        experiments = Bench(workspace, emulator, RawClient(emulator.url), parallel=args.parallel)
        if args.experiments:
            for repetition in range(repeat):
                log(f"experiments, repetition {repetition + 1}/{repeat}, N={max(sizes)}")
                experiments.repetition(EXPERIMENTS, max(sizes), repetition, raw=False)
        if args.profile:
            benches[max(args.latencies)].set_latency()
        profile_lines = profile(workspace, max(sizes), args.parallel, args.kinds) if args.profile else []
        emulator.admin.clear_faults()
        micro_lines = micro_benchmark(emulator.url) if args.profile else []
        emulator_log_tail = emulator.log_text()[-2000:]
    wall = time.perf_counter() - began

    loads = [load for bench in benches.values() for load in bench.loads]
    user_loads = [load for bench in user_benches.values() for load in bench.loads]
    out = render_header(version, repeat, wall, loads + user_loads + experiments.loads)
    invocation = " ".join(["bench/run.py", *sys.argv[1:]]) if sys.argv[1:] else "make bench"
    readme: list[str] = []
    if not args.no_table:
        by_latency = {latency: bench.results for latency, bench in benches.items()}
        first = benches[min(benches)]
        out += render_table(by_latency, sizes, args.parallel)
        out += ["", TABLE_LEGEND, ""]
        targets = render_targets(
            by_latency, sizes, args.parallel, imports, first.provider_state_bytes, serialized
        )
        if first.provider_state_secret:
            targets.append(
                "  (the __provider in the state is a secret: the stored size is of its ciphertext)"
            )
        out += targets
        readme = render_readme_block(
            version,
            repeat,
            wall,
            args.parallel,
            args.latencies,
            render_table(by_latency, sizes, args.parallel, README_COLUMNS),
            targets,
            invocation,
            loads,
        )
    users: list[str] = []
    if user_benches:
        by_latency = {latency: bench.results for latency, bench in user_benches.items()}
        table = render_table(by_latency, [args.user_count], args.parallel, README_COLUMNS, USER_COMMANDS)
        users = render_users_block(
            version,
            repeat,
            wall,
            args.parallel,
            table,
            args.user_count,
            USER_ORGANIZATIONS,
            invocation,
            user_loads,
        )
        out += ["", "Users:", "", *table]
    if args.experiments:
        out += ["", *render_experiments(experiments.results, max(sizes), EXPERIMENTS)]
    if micro_lines:
        out += ["", *micro_lines]
    if profile_lines:
        out += ["", *profile_lines]
    if "Traceback" in emulator_log_tail:
        out += ["", "The emulator logged an error:", emulator_log_tail]
    if readme:
        out += ["", "For docs/benchmarks.md:", "", *readme]
    print("\n".join(out))
    if args.write_docs:
        for block in (readme, users):
            if block:
                write_block(REPO / "docs" / "benchmarks.md", block)
                log(f"docs/benchmarks.md: {block[0]} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
