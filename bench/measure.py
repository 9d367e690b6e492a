"""The measured runs: every command on every stack kind, in rotating order, one Sample per command and
repetition, so that each provider run has a no-op run next to it to be compared with."""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.raw import RawClient
from bench.session import log
from bench.stacks import COMMANDS, PARALLEL, PROVIDER, Variant, cli_args
from bench.workspace import Workspace
from polytomic_emulator.launcher import EmulatorProcess


@dataclass
class Sample:
    """One command's figures in one repetition."""

    seconds: float
    rss_mib: float | None = None
    cpu_s: float | None = None
    api_calls: str = ""
    api_call_count: int | None = None
    tree_cpu_s: float | None = None
    api_span_s: float | None = None  # from the first API request's arrival to the last one's answer
    api_peak: int | None = None  # the most API requests in flight at once
    killed: tuple[str, ...] = ()  # probed processes the engine had to SIGKILL (each costs it a 5 s wait)


Results = dict[tuple[str, int, str], list[Sample]]  # (command, size, variant) -> one Sample per repetition
LIST_PATH = "/api/organizations"


def is_list(entry: dict[str, Any]) -> bool:
    """A list call: of the organizations, or of one organization's users."""
    path = str(entry["path"]).partition("?")[0]
    return entry["method"] == "GET" and (path == LIST_PATH or path.endswith("/users"))


def api_concurrency(entries: list[dict[str, Any]]) -> tuple[float | None, int | None]:
    """From the journal's entries (arrival time, duration): the seconds from the first request's arrival to
    the last one's answer, and the most requests in flight at once; None for a command that made none."""
    spans = []
    for entry in entries:
        began = datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).timestamp()
        spans.append((began, began + entry["duration_ms"] / 1000))
    if not spans:
        return None, None
    # At equal times an answer (-1) sorts before an arrival (+1): back-to-back requests are not concurrent.
    events = sorted([(began, 1) for began, _ in spans] + [(ended, -1) for _, ended in spans])
    in_flight = peak = 0
    for _, step in events:
        in_flight += step
        peak = max(peak, in_flight)
    return max(ended for _, ended in spans) - min(began for began, _ in spans), peak


@dataclass
class Bench:
    """Runs repetitions at one API latency and keeps what the report needs: the samples, the load before
    each command and the size of the provider as the state stores it."""

    workspace: Workspace
    emulator: EmulatorProcess
    raw: RawClient
    latency_ms: int = 0  # added to every API call by the emulator's latency fault
    parallel: int = PARALLEL
    results: Results = field(default_factory=lambda: defaultdict(list))
    loads: list[float] = field(default_factory=list)
    provider_state_bytes: int | None = None
    provider_state_secret: bool | None = None

    def api_calls(self) -> tuple[str, int, float | None, int | None]:
        """The requests in the emulator's journal (cleared before each command that makes any), as text
        (L = list call, of the organizations or of one organization's users; G = any other GET), as a
        count, and their span and peak concurrency."""
        entries = self.emulator.admin.journal()
        counts = Counter("LIST" if is_list(entry) else entry["method"] for entry in entries)
        failed = sum(1 for entry in entries if (entry["status"] or 500) >= 400)
        kinds = (("POST", "P"), ("LIST", "L"), ("GET", "G"), ("PUT", "U"), ("DELETE", "D"))
        text = " ".join(f"{counts[kind]}{letter}" for kind, letter in kinds if counts[kind])
        if failed:
            text += f" ({failed} failed)"
        return (text or "0", len(entries), *api_concurrency(entries))

    def set_latency(self) -> None:
        """Give every API call this bench's latency (benches of other latencies share the emulator)."""
        if self.latency_ms:
            self.emulator.admin.set_faults(latency_ms=self.latency_ms)
        else:
            self.emulator.admin.clear_faults()

    def repetition(
        self,
        variants: Sequence[Variant],
        size: int,
        repetition: int,
        *,
        raw: bool,
        commands: Sequence[str] = COMMANDS,
    ) -> None:
        """Every command for every variant at one size; the variants' order rotates between commands.

        The raw calls run at 0 ms for every command; with latency only for one list call (the floor of a
        refresh), as N calls at 100 ms each would take minutes and the ideal column says the same."""
        self.set_latency()
        tag = f"l{self.latency_ms}-n{size}-r{repetition}-{secrets.token_hex(3)}"
        stacks = {v.name: f"{v.program}-{tag}-{i}" for i, v in enumerate(variants)}
        for i, variant in enumerate(variants):
            self.workspace.new_stack(variant, stacks[variant.name], size, f"bench-{tag}-{i}")
        try:
            for index, command in enumerate(commands):
                shift = (repetition + index) % len(variants)
                for variant in [*variants[shift:], *variants[:shift]]:
                    self.run_command(command, size, variant, stacks[variant.name])
                    if command == "up" and variant == PROVIDER and self.provider_state_bytes is None:
                        self.read_provider_from_state(stacks[variant.name])
                if raw and (self.latency_ms == 0 or self.raw.lists(command)):
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
        args = [*cli_args(command, self.parallel), "--stack", stack]
        seconds, _, probe, tree_cpu = self.workspace.pulumi(variant, args, probe=True)
        calls, count, span, peak = self.api_calls() if variant.organizations else ("", None, None, None)
        sample = Sample(
            seconds,
            probe.provider_rss_mib,
            probe.provider_cpu_s,
            calls,
            count,
            tree_cpu,
            span,
            peak,
            tuple(probe.killed),
        )
        self.results[(command, size, variant.name)].append(sample)
        rss = f"{sample.rss_mib:.0f} MiB" if sample.rss_mib is not None else "? MiB"
        stall = f"  KILLED after 5 s: {', '.join(sample.killed)}" if sample.killed else ""
        flight = f" in {span:.2f} s, {peak} at once" if span is not None else ""
        log(
            f"  {command:<12} N={size:<4} {self.latency_ms:>3} ms {variant.name:<36} {seconds:7.2f} s  "
            f"provider {rss}  {calls}{flight}{stall}"
        )

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
