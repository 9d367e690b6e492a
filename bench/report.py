"""Turning samples into the printed report: medians and paired ratios that leave out stalled runs, the
main table, the targets and the experiments table."""

from __future__ import annotations

import os
import platform
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.measure import Results, Sample
from bench.stacks import COMMANDS, NOOP, PROVIDER, Variant

TARGET_PREVIEW = 1.3
TARGET_UP = 1.3
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
        nproc = len(os.sched_getaffinity(0))
        lines.append(
            f"1-minute load average before each command (the benchmark itself accounts for 1 to 2): "
            f"median {statistics.median(loads):.1f}, max {max(loads):.1f}, on {nproc} CPUs"
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


# Printed under the main table: what each column measures.
TABLE_LEGEND = (
    "provider / no-op: seconds of the whole CLI command (CLI start, program, engine, provider "
    "process). raw: N httpx calls on one keep-alive client, serially (raw x4: over 4 threads); "
    "up = POST, refresh = GET, destroy = DELETE, preview = none. Ratios: medians of per-repetition "
    "ratios. API calls: requests the provider made, from the emulator's journal (P/G/D = "
    "POST/GET/DELETE). RSS: peak resident memory (VmHWM) of the `python -m pulumi.dynamic` "
    "process; CPU: its user+system seconds. all CPU: user+system seconds of the command's whole "
    "process tree (CLI, language host, program, provider), which other work on the machine "
    "disturbs much less than wall time. 5 s stalls: runs (provider/no-op) in which the engine had "
    "to SIGKILL the Python provider plugin when it did not exit within 5 s of its "
    "SIGINT, which adds 5 s to that run: Pulumi's Python provider host parks its main thread in "
    "Event.wait() with no timeout, so a SIGINT that the kernel hands to one of its gRPC threads is "
    "never acted on (the language host, a Go program, is not affected). "
    "Such runs are left out of the medians and ratios."
)


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
