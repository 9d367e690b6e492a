"""Benchmark probe, loaded by every Python process of a benchmarked `pulumi` run (bench/run.py puts this
directory first on PYTHONPATH, so Python imports it at start-up as `sitecustomize`).

It does nothing unless BENCH_PROBE_DIR is set. Then, in the provider process (the dynamic provider's host
`python -m pulumi.dynamic`, which the engine starts through `pulumi-resource-pulumi-python`, or the plugin
`pulumi-resource-polytomic`) and in the program (`pulumi-language-python-exec`), it writes one JSON file at
exit: peak resident memory (VmHWM from /proc/self/status, which the kernel keeps for the whole life of the
process), CPU seconds and wall seconds.

Each process also writes a `.start` marker when it starts. The engine stops a plugin with SIGINT to its
process group, waits up to 5 s, then SIGKILLs the group: a process that left `main()` normally has run
`atexit` and written its report, so a marker without a report means the process was killed.

With BENCH_PROFILE=1 the provider host also records every gRPC call's duration (by wrapping the servicer
when it is registered), and the provider and the program sample the stacks of their threads every
BENCH_PROFILE_INTERVAL seconds (a wall-clock sampler: it sees time spent waiting as well as CPU).

Nothing here is imported by the benchmarked code itself, and no project file is changed.
"""

from __future__ import annotations

import atexit
import inspect
import json
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

_DIR = os.environ.get("BENCH_PROBE_DIR")


def _args() -> list[str]:
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace").split("\0")
    except OSError:
        return []


_PLUGIN = any(arg.endswith("pulumi-resource-polytomic") for arg in _args())  # serves on its main thread


def _kind() -> str | None:
    args = _args()
    if "pulumi.dynamic" in args or _PLUGIN:
        return "provider"
    if any(arg.endswith("pulumi-language-python-exec") for arg in args):
        return "program"
    return None


def _peak_rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class _Sampler:
    """Counts, for every thread but its own, the innermost frame and every function on the stack."""

    def __init__(self, interval: float, *, include_main: bool) -> None:
        self.interval = interval
        self.include_main = include_main
        self.samples = 0
        self.leaf: Counter[str] = Counter()
        self.inclusive: Counter[str] = Counter()
        self.stacks: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        own = threading.get_ident()
        main = None if self.include_main else threading.main_thread().ident
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident in (own, main):
                    continue
                names: list[str] = []
                current: Any = frame
                while current is not None:
                    code = current.f_code
                    names.append(f"{code.co_name} ({_short(code.co_filename)}:{code.co_firstlineno})")
                    current = current.f_back
                if _idle(names):
                    continue
                self.samples += 1
                self.leaf[names[0]] += 1
                for name in set(names):
                    self.inclusive[name] += 1
                self.stacks[" <- ".join(names[:6])] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "samples": self.samples,
            "leaf": self.leaf.most_common(40),
            "inclusive": self.inclusive.most_common(60),
            "stacks": self.stacks.most_common(25),
        }


def _idle(names: list[str]) -> bool:
    """A thread parked with nothing to do: an idle pool worker, gRPC's completion-queue poller, an asyncio
    loop waiting for its sockets (the plugin's main thread), or a thread whose target is C code with no
    Python frame of its own (such as grpc.aio's poller)."""
    leaf = names[0]
    if len(names) <= 3 and leaf.startswith("run (") and "threading.py" in leaf:
        return True
    if leaf.startswith("_serve (grpc/_server.py") or (leaf.startswith("select (") and "selectors.py" in leaf):
        return True
    return leaf.startswith(("_worker (", "wait (")) and len(names) < 8


def _short(path: str) -> str:
    for marker in ("site-packages/", "lib/python3", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


_CALLS: list[tuple[str, float, float]] = []
_CALLS_LOCK = threading.Lock()


def _timed(name: str, method: Any) -> Any:
    if inspect.iscoroutinefunction(method):  # the plugin's grpc.aio servicer

        async def timed(request: Any, context: Any) -> Any:
            began = time.perf_counter()
            try:
                return await method(request, context)
            finally:
                ended = time.perf_counter()
                with _CALLS_LOCK:
                    _CALLS.append((name, began, ended))

        return timed

    def wrapper(request: Any, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return method(request, context)
        finally:
            ended = time.perf_counter()
            with _CALLS_LOCK:
                _CALLS.append((name, began, ended))

    return wrapper


def _wrap_servicer() -> None:
    from pulumi.runtime.proto import provider_pb2_grpc

    register = provider_pb2_grpc.add_ResourceProviderServicer_to_server

    def add(servicer: Any, server: Any) -> Any:
        for name in ("Configure", "Check", "Diff", "Create", "Read", "Update", "Delete"):
            setattr(servicer, name, _timed(name, getattr(servicer, name)))
        return register(servicer, server)

    provider_pb2_grpc.add_ResourceProviderServicer_to_server = add


def _install(directory: str, kind: str) -> None:
    started = time.perf_counter()
    # A marker, so that the benchmark knows to wait for this process's report after the CLI has returned.
    with open(os.path.join(directory, f"{kind}-{os.getpid()}.start"), "w"):
        pass
    sampler: _Sampler | None = None
    if os.environ.get("BENCH_PROFILE") == "1":
        if kind == "provider":
            _wrap_servicer()
        interval = float(os.environ.get("BENCH_PROFILE_INTERVAL", "0.002"))
        sampler = _Sampler(interval, include_main=kind == "program" or _PLUGIN)
        sampler.start()

    def report() -> None:
        times = os.times()
        record: dict[str, Any] = {
            "kind": kind,
            "pid": os.getpid(),
            "peak_rss_kib": _peak_rss_kib(),
            "cpu_s": times.user + times.system,
            "wall_s": time.perf_counter() - started,
            "modules": len(sys.modules),
        }
        if sampler is not None:
            sampler.stop()
            record["profile"] = sampler.summary()
            with _CALLS_LOCK:
                record["calls"] = [(name, began - started, ended - started) for name, began, ended in _CALLS]
        path = os.path.join(directory, f"{kind}-{os.getpid()}.json")
        with open(f"{path}.tmp", "w") as handle:
            json.dump(record, handle)
        os.replace(f"{path}.tmp", path)

    atexit.register(report)


if _DIR:
    _KIND = _kind()
    if _KIND is not None:
        _install(_DIR, _KIND)
