"""Where the time goes, for --profile: each layer's cost per call in this process, and the provider
processes of the four commands with the probe's stack sampler and gRPC call timings on."""

from __future__ import annotations

import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bench.probe import Probe
from bench.raw import api_client
from bench.report import markdown
from bench.session import PARTNER_KEY
from bench.stacks import COMMANDS, MEASURED, NOOP, PROVIDER, Variant, cli_args
from bench.workspace import Workspace


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

    from polytomic_provider.claims import new_create_key
    from polytomic_provider.client import PolytomicClient
    from polytomic_provider.provider import CREATE_KEY, OrganizationProvider
    from tests.e2e.noop import NoopProvider

    provider = OrganizationProvider()
    raw_config = {"polytomic:partnerKey": PARTNER_KEY, "polytomic:deploymentUrl": url}
    provider.configure(ConfigureRequest(Config(raw_config=raw_config, project_name="bench")))
    from polytomic_provider.models import FIELDS, OrganizationSpec
    from polytomic_provider.runtime import RUNTIME

    client = PolytomicClient(RUNTIME.settings)
    tag = secrets.token_hex(3)
    raw = api_client(url)
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
        values[CREATE_KEY] = new_create_key()  # what check() records for each create
        return values

    outputs: dict[str, dict[str, Any]] = {}

    def provider_create(i: int) -> None:
        result = provider.create(props(i, "provider"))
        ids["provider"].append(result.id)
        outputs[result.id] = result.outs or {}

    rows: list[tuple[str, ...]] = [("call", "what it does", "wall us", "client CPU us")]

    def row(name: str, micros: tuple[float, float], what: str) -> None:
        rows.append((name, what, f"{micros[0]:,.0f}", f"{micros[1]:,.0f}"))

    row("raw httpx POST", per_call(raw_post, count), "one POST with an Idempotency-Key")
    row("PolytomicClient.create_organization", per_call(client_create, count), "the same, through the client")
    row("OrganizationProvider.create", per_call(provider_create, count), "one POST, keyed by check()")
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
        "from the snapshot: one list call per 5 s",
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


def profile(
    workspace: Workspace, size: int, parallel: int, variants: Sequence[Variant] = (PROVIDER, NOOP)
) -> list[str]:
    """Run every command once per kind with the sampler on, and summarize the provider processes."""
    tag = f"profile-n{size}-{secrets.token_hex(3)}"
    lines = [f"Profile of the provider processes, N={size} (stack sampler and per-gRPC-call timings on):"]
    env = {"BENCH_PROFILE": "1"}
    for variant in variants:
        stack = f"{variant.program}-{tag}"
        workspace.new_stack(variant, stack, size, f"bench-{tag}")
        try:
            for command in COMMANDS:
                seconds, _, probe, _ = workspace.pulumi(
                    variant, [*cli_args(command, parallel), "--stack", stack], probe=True, extra_env=env
                )
                lines.append(f"\n== {variant.name} {command}: {seconds:.2f} s wall (profiled)")
                detailed = variant in MEASURED and command in ("up", "preview")
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
