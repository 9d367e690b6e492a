"""Turning samples into the printed report: medians and paired ratios that leave out stalled runs, the
main table, the targets and the experiments table."""

from __future__ import annotations

import math
import os
import platform
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.measure import Results, Sample
from bench.stacks import API_PHASES, COMMANDS, MEASURED, NOOP, PLUGIN, PROVIDER, Variant

TARGET_PROVIDER_BYTES = 1024
TARGET_IMPORT_MS = 300.0


def machine_summary() -> str:
    """CPU, memory and OS, since the figures mean something only next to the machine they came from."""
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


def render_header(version: str, repeat: int, wall: float, loads: list[float]) -> list[str]:
    """What ran, where, and how busy the machine was (a loaded machine makes every wall time longer)."""
    lines = [
        "Polytomic provider benchmark",
        f"Machine: {machine_summary()}",
        f"Pulumi CLI {version}; emulator on loopback (temporary SQLite database); "
        f"medians of {repeat} run(s); total wall time {wall / 60:.1f} min",
    ]
    if loads:
        lines.append(
            f"1-minute load average before each command (the benchmark itself accounts for 1 to 2): "
            f"{load_summary(loads)}"
        )
    lines.append("")
    return lines


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


def waves(command: str, calls: int | None, parallel: int) -> int:
    """Round trips the command's API calls need at best: in each of its operations that call the API
    (API_PHASES), the calls go out `parallel` at a time."""
    if not calls:
        return 0
    phases = API_PHASES[command]
    return phases * math.ceil(calls / phases / parallel)


def ideal_extra(command: str, provider: list[Sample], latency_ms: int, parallel: int) -> list[Sample]:
    """Per repetition, the seconds the ideal adds to the no-op floor: the latency once per wave."""
    return [Sample(waves(command, s.api_call_count, parallel) * latency_ms / 1000) for s in provider]


# Columns of the full report, for the kind of stack a row measures (the dynamic provider or the plugin);
# README_COLUMNS is the subset the table of docs/benchmarks.md shows.
COLUMNS = (
    "command",
    "N",
    "latency ms",
    "kind",
    "s",
    "no-op s",
    "ideal s",
    "x no-op",
    "x ideal",
    "raw s",
    "raw x4 s",
    "x (no-op+raw)",
    "API calls",
    "API s",
    "in flight",
    "RSS MiB",
    "no-op RSS MiB",
    "CPU s",
    "no-op CPU s",
    "all CPU / no-op",
    "5 s stalls",
)
README_COLUMNS = (*COLUMNS[:9], "API calls", "API s", "in flight", "RSS MiB", "no-op RSS MiB")


def table_rows(
    by_latency: dict[int, Results], sizes: list[int], parallel: int, commands: Sequence[str] = COMMANDS
) -> list[dict[str, str]]:
    """One row per command, size, latency and measured kind, every column of COLUMNS as text."""
    rows = []
    for command in commands:
        for size in sizes:
            for latency, results in sorted(by_latency.items()):
                for kind in MEASURED:
                    row = table_row(results, command, size, latency, kind, parallel)
                    if row is not None:
                        rows.append(row)
    return rows


def table_row(
    results: Results, command: str, size: int, latency: int, kind: Variant, parallel: int
) -> dict[str, str] | None:
    """The row of one kind beside the no-op floor (None if either was not run)."""
    measured = results.get((command, size, kind.name), [])
    noop = results.get((command, size, NOOP.name), [])
    if not measured or not noop:
        return None
    raw = results.get((command, size, "raw-serial"), [])
    extra = ideal_extra(command, measured, latency, parallel)
    noop_s = median(noop)
    ideal = None if noop_s is None else noop_s + (median(extra) or 0.0)
    cells = (
        command,
        str(size),
        str(latency),
        kind.name,
        fmt(median(measured)),
        fmt(noop_s),
        fmt(ideal),
        fmt(paired_ratio(measured, noop)),
        fmt(paired_ratio(measured, noop, extra)),
        fmt(median(raw), ".3f") if raw else "-",
        fmt(median(results.get((command, size, "raw-threads"), [])), ".3f") if raw else "-",
        fmt(paired_ratio(measured, noop, raw)) if raw else "-",
        most_common([s.api_calls for s in measured]),
        fmt(median(measured, "api_span_s")),
        fmt(median(measured, "api_peak"), ".0f"),
        fmt(median(measured, "rss_mib"), ".0f"),
        fmt(median(noop, "rss_mib"), ".0f"),
        fmt(median(measured, "cpu_s")),
        fmt(median(noop, "cpu_s")),
        f"{fmt(median(measured, 'tree_cpu_s'))}/{fmt(median(noop, 'tree_cpu_s'))}",
        f"{stalls(measured)}/{stalls(noop)}",
    )
    return dict(zip(COLUMNS, cells, strict=True))


def render_table(
    by_latency: dict[int, Results],
    sizes: list[int],
    parallel: int,
    columns: Sequence[str] = COLUMNS,
    commands: Sequence[str] = COMMANDS,
) -> list[str]:
    rows = table_rows(by_latency, sizes, parallel, commands)
    return markdown([tuple(columns), *(tuple(row[c] for c in columns) for row in rows)], left=4)


# Printed under the main table: what each column measures.
TABLE_LEGEND = (
    "kind: provider = the dynamic provider (bench/programs/organizations; its host serves at most 4 calls "
    "at once), plugin = the provider plugin pulumi-resource-polytomic (bench/programs/plugin-organizations; "
    "as many calls at once as the engine sends). s / no-op s: seconds of the whole CLI command (CLI start, "
    "program, engine, provider process) on that kind's stack and on the no-op stack. latency: added by the "
    "emulator to every API call (its latency fault), as a network between a CI runner and a SaaS API "
    "would. ideal: the no-op floor plus the command's API calls made `--parallel` at a time (the engine's "
    "limit, the same for both kinds), each wave costing the latency (`refresh --yes` reads twice, in its "
    "preview and then in the refresh: two rounds). raw: the API work done directly with httpx on one "
    "keep-alive client, serially (raw x4: over 4 threads): up = N POSTs, destroy = N DELETEs, a read = "
    "one list call, preview = none; with latency only the list call is timed. Ratios (x ...): medians of "
    "per-repetition ratios. API calls: requests the kind's provider made, from the emulator's journal "
    "(P/L/G/U/D = POST, list, GET of one organization, PUT, DELETE). API s: from the first request's "
    "arrival at the emulator to the last one's answer; in flight: the most requests the emulator was "
    "serving at once (medians over the repetitions; the ideal assumes `--parallel` throughout). RSS: peak "
    "resident memory (VmHWM) of the provider process (`python -m pulumi.dynamic`, or "
    "`pulumi-resource-polytomic`); CPU: its user+system seconds. all CPU: user+system seconds of the "
    "command's whole process tree (CLI, language host, program, provider), which other work on the machine "
    "disturbs much less than wall time. 5 s stalls: runs (kind/no-op) in which the engine had to SIGKILL "
    "the Python provider plugin when it did not exit within 5 s of its SIGINT, which adds 5 s to that "
    "run: Pulumi's Python provider host parks its main thread in Event.wait() with no timeout, so a SIGINT "
    "that the kernel hands to one of its gRPC threads is never acted on (the language host, a Go program, "
    "is not affected). Such runs are left out of the medians and ratios."
)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


UP_IDEAL_TARGET = {PROVIDER.name: 1.5, PLUGIN.name: 1.3}
"""`up` of 100 at 100 ms over the ideal: the dynamic provider's host serves 4 calls at once, not 8."""


def render_targets(
    by_latency: dict[int, Results],
    sizes: list[int],
    parallel: int,
    imports: dict[str, float],
    state_bytes: int | None,
    serialized: dict[str, int],
) -> list[str]:
    """The targets of docs/benchmarks.md (at 0 ms) and of issue 12 (at 100 ms), for the sizes, latencies
    and kinds run."""
    lines = ["Targets:"]

    def samples(latency: int, command: str, size: int, variant: str) -> list[Sample]:
        return by_latency.get(latency, {}).get((command, size, variant), [])

    def check(text: str, ratio: float | None, target: float) -> None:
        if ratio is not None:
            lines.append(f"- {text}: {ratio:.2f}x (target <= {target}x): {verdict(ratio <= target)}")

    def over_floor(kind: str, latency: int, command: str, size: int, extra: str = "") -> float | None:
        measured, noop = samples(latency, command, size, kind), samples(latency, command, size, NOOP.name)
        return paired_ratio(measured, noop, samples(latency, command, size, extra) if extra else None)

    slow = 100
    for kind in [variant.name for variant in MEASURED]:
        check(
            f"{kind}: no-change preview of 100 at 0 ms, over the no-op floor",
            over_floor(kind, 0, "preview", 100),
            1.3,
        )
        check(
            f"{kind}: up of 100 at 0 ms, over (no-op floor + raw API time)",
            over_floor(kind, 0, "up", 100, "raw-serial"),
            1.3,
        )
        for command, size, target in (
            ("refresh", 100, 1.2),
            ("up --refresh", 100, 1.2),
            ("refresh", 1000, 1.3),
            ("preview --refresh", 1000, 1.2),  # the nightly drift check of examples/ci
        ):
            check(
                f"{kind}: {command} of {size} at {slow} ms, over (no-op floor + one list call)",
                over_floor(kind, slow, command, size, "raw-serial"),
                target,
            )
        check(
            f"{kind}: no-change preview of 1000 at {slow} ms, over the no-op floor",
            over_floor(kind, slow, "preview", 1000),
            1.2,
        )
        up = samples(slow, "up", 100, kind)
        check(
            f"{kind}: up of 100 at {slow} ms, over the ideal (--parallel {parallel})",
            paired_ratio(up, samples(slow, "up", 100, NOOP.name), ideal_extra("up", up, slow, parallel)),
            UP_IDEAL_TARGET[kind],
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


def load_summary(loads: list[float]) -> str:
    """The 1-minute load average before the commands: median and max, over the CPUs."""
    nproc = len(os.sched_getaffinity(0))
    return f"load median {statistics.median(loads):.1f}, max {max(loads):.1f}, on {nproc} CPUs"


def render_readme_block(
    version: str,
    repeat: int,
    wall: float,
    parallel: int,
    latencies: list[int],
    table: list[str],
    targets: list[str],
    invocation: str = "make bench",
    loads: Sequence[float] = (),
) -> list[str]:
    """The benchmark table of docs/benchmarks.md, between its markers, ready to paste there."""
    added = " and ".join(f"{latency} ms" for latency in latencies)
    load = f"; {load_summary(list(loads))}" if loads else ""
    return [
        "<!-- bench-table -->",
        f"Measured on the project's reference machine ({machine_summary()}), Pulumi CLI {version},",
        f"`--parallel {parallel}`, emulator on loopback with {added} added to every API call (its latency "
        f"fault), medians of {repeat} runs, one `{invocation}` invocation ({wall / 60:.1f} minutes{load}). "
        "*kind*: *provider* is the dynamic provider, *plugin* the provider plugin "
        "`pulumi-resource-polytomic`. *no-op* is the same command on N no-op dynamic resources (the engine's "
        f"floor); *ideal* is that floor plus the command's API calls made {parallel} at a time, each round "
        "trip costing the added latency (`refresh --yes` reads twice: its preview, then the refresh). API "
        "calls: P = POST, L = list, G = GET of one organization, U = PUT, D = DELETE; *API s*: from the "
        "first request's arrival at the emulator to the last one's answer; *in flight*: the most requests "
        "it served at once. Provider modules load from bytecode, as a wheel installed with pip leaves them.",
        "",
        *table,
        "",
        "Targets, as `make bench` checks them:",
        "",
        *targets[1:],
        "<!-- /bench-table -->",
    ]


def render_users_block(
    version: str,
    repeat: int,
    wall: float,
    parallel: int,
    table: list[str],
    size: int,
    organizations: int,
    invocation: str,
    loads: Sequence[float] = (),
) -> list[str]:
    """The users rows of docs/benchmarks.md, between their markers (`write_block` puts them there)."""
    load = f"; {load_summary(list(loads))}" if loads else ""
    return [
        "<!-- bench-users -->",
        f"Measured on {machine_summary()}, Pulumi CLI {version}, `--parallel {parallel}`, medians of "
        f"{repeat} runs, one `{invocation}` invocation ({wall / 60:.1f} minutes{load}). N = {size} users "
        f"spread over {organizations} organizations, created by the same program (bench/programs/users, "
        "bench/programs/plugin-users); the no-op floor has N + "
        f"{organizations} no-op resources. *up* creates the organizations and then the users (two waves "
        "of the dependency graph, which the *ideal* does not know of); API calls: P = POST, L = list (of "
        "the organizations, or of one organization's users), G = any other GET (the account lookup, the "
        "roles list of each organization), D = DELETE. Other columns as in the table above.",
        "",
        *table,
        "",
        "<!-- /bench-users -->",
    ]


def write_block(path: Path, lines: list[str]) -> None:
    """Replace the block between the markers that `lines` begins and ends with in the file at `path`."""
    text = path.read_text()
    start, end = lines[0], lines[-1]
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise SystemExit(f"{path}: no {start} ... {end} block to replace")
    path.write_text(before + "\n".join(lines) + rest.partition(end)[2])


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
