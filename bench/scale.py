"""The scale run: one stack of 5,000 organizations (a partner account with one per customer) through
every command, beside a stack of as many no-op resources (the engine's own cost at that size).

Run: ``make bench-scale``, or ``.venv/bin/python bench/scale.py [--size 5000] [--latency-ms 0]
[--parallel 8] [--no-noop]``

Commands, in order, each once per stack (`bench/stacks.py` has their arguments, `--parallel` added):
`preview` of the creates, `up`, a no-change `preview`, `up --refresh`, `refresh`, `destroy`. For each: wall
seconds, the API calls the provider made (from the emulator's journal), the provider process's peak memory
(VmHWM, see bench/hooks/sitecustomize.py) and CPU; after `up`, the size of the state file in the
`file://` backend. It prints the `<!-- bench-scale -->` block for docs/benchmarks.md. A command that fails
stops the run with its output: at this size, a failure is the finding.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import Bench
from bench.raw import RawClient
from bench.report import fmt, machine_summary, markdown, median
from bench.session import PARTNER_KEY, log
from bench.stacks import NOOP, PARALLEL, PROVIDER, SCALE_COMMANDS, Variant
from bench.workspace import Workspace, pulumi_bin_dir, pulumi_version, temporary_root
from polytomic_emulator.launcher import EmulatorProcess

SIZE = 5000
COMMAND_TIMEOUT = 3600.0
JOURNAL_ENTRIES = 100_000  # room for every request of the largest command (destroy: one per organization)


def state_file_bytes(workspace: Workspace, stack: str) -> int | None:
    """The size of the stack's checkpoint in the file:// backend (gzipped if the backend gzips); the
    backend keeps a `.bak` copy and `.attrs` files beside it, which are not counted."""
    stacks = workspace.root / "state" / ".pulumi" / "stacks"
    found = [path for name in (f"{stack}.json", f"{stack}.json.gz") for path in stacks.glob(f"*/{name}")]
    return found[0].stat().st_size if found else None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=SIZE, help=f"organizations in the stack ({SIZE})")
    parser.add_argument("--latency-ms", type=int, default=0, help="ms added to each API call (0)")
    parser.add_argument(
        "--parallel", type=int, default=PARALLEL, help=f"the engine's --parallel ({PARALLEL})"
    )
    parser.add_argument("--no-noop", action="store_true", help="skip the no-op stack (halves the run)")
    args = parser.parse_args()
    if args.size < 1 or not 0 <= args.latency_ms <= 60_000:
        parser.error("--size must be at least 1 and --latency-ms between 0 and 60000")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    variants: tuple[Variant, ...] = (PROVIDER,) if args.no_noop else (PROVIDER, NOOP)

    bin_dir = pulumi_bin_dir()
    version = pulumi_version(bin_dir)
    began = time.perf_counter()
    log(f"Pulumi CLI {version}; N={args.size}, {args.latency_ms} ms per API call, --parallel {args.parallel}")
    state_bytes: dict[str, int | None] = {}
    with (
        temporary_root() as root,
        EmulatorProcess(
            partner_key=PARTNER_KEY, extra_args=["--journal-size", str(JOURNAL_ENTRIES)]
        ) as emulator,
    ):
        workspace = Workspace.create(root, bin_dir, emulator.url, command_timeout=COMMAND_TIMEOUT)
        bench = Bench(workspace, emulator, RawClient(emulator.url), args.latency_ms, args.parallel)
        bench.set_latency()
        stacks = {variant.name: f"{variant.program}-scale" for variant in variants}
        for variant in variants:
            workspace.new_stack(variant, stacks[variant.name], args.size, f"scale-{variant.program}")
        try:
            for command in SCALE_COMMANDS:
                for variant in variants:
                    bench.run_command(command, args.size, variant, stacks[variant.name])
                    if command == "up":
                        state_bytes[variant.name] = state_file_bytes(workspace, stacks[variant.name])
        finally:
            for variant in variants:
                workspace.remove_stack(variant, stacks[variant.name])
        emulator_log_tail = emulator.log_text()[-2000:]
    wall = time.perf_counter() - began

    rows: list[tuple[str, ...]] = [
        ("command", "provider s", "no-op s", "API calls", "prov RSS MiB", "no-op RSS MiB", "prov CPU s")
    ]
    for command in SCALE_COMMANDS:
        provider = bench.results[(command, args.size, PROVIDER.name)]
        noop = bench.results.get((command, args.size, NOOP.name), [])
        rows.append(
            (
                command,
                fmt(median(provider)),
                fmt(median(noop)),
                provider[0].api_calls,
                fmt(median(provider, "rss_mib"), ".0f"),
                fmt(median(noop, "rss_mib"), ".0f"),
                fmt(median(provider, "cpu_s")),
            )
        )
    sizes = ", ".join(
        f"{name} {value:,} bytes" if value is not None else f"{name} not found"
        for name, value in state_bytes.items()
    )
    out = [
        "<!-- bench-scale -->",
        f"{args.size:,} organizations in one stack, on {machine_summary()}, Pulumi CLI {version}, "
        f"`--parallel {args.parallel}`, emulator on loopback with {args.latency_ms} ms added to every API "
        f"call, one run of each command ({wall / 60:.1f} minutes in all). State file after `up`: {sizes}.",
        "",
        *markdown(rows),
        "<!-- /bench-scale -->",
    ]
    if "Traceback" in emulator_log_tail:
        out += ["", "The emulator logged an error:", emulator_log_tail]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
