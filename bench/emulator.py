"""Tiny benchmark of the Polytomic emulator: start-up time and GET throughput.

Run: ``.venv/bin/python bench/emulator.py [--seconds 3] [--threads 4] [--processes 2] [--starts 3]``

- Start-up: from spawning ``python -m polytomic_emulator`` to reading its ready line, which is
  what `EmulatorProcess.start()` waits for.
- Throughput: ``GET /api/organizations/{id}``, each thread with its own keep-alive httpx client, for a fixed
  wall-clock time. First with all threads in this one process, then with the same threads spread over
  several client processes: a single Python process running httpx tops out near 1,000 requests/s because
  of the GIL, well before the server does.
- Server CPU per request: the emulator's own CPU time (from /proc) divided by the requests it served in
  the single-process run; its inverse is roughly what one core of the server could sustain.

Client and server share this machine, so every number is a floor for the server alone. All traffic goes
to loopback and every loop stops by itself.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import threading
import time
from pathlib import Path

import httpx

from polytomic_emulator.launcher import EmulatorProcess

PARTNER_KEY = "bench-partner-key-0123456789"
HEADERS = {"Authorization": f"Bearer {PARTNER_KEY}", "X-Polytomic-Version": "2025-09-18"}


def measure_startups(count: int) -> list[float]:
    timings = []
    for _ in range(count):
        process = EmulatorProcess(partner_key=PARTNER_KEY)
        began = time.perf_counter()
        process.start()
        timings.append(time.perf_counter() - began)
        process.close()
    return timings


def run_clients(url: str, path: str, *, threads: int, start_at: float, seconds: float) -> tuple[int, int]:
    """Hammer ``path`` from ``threads`` keep-alive clients between two monotonic instants."""
    ok = [0] * threads
    failed = [0] * threads

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=10) as client:
            client.get(path)  # open the connection before the clock starts
            while time.monotonic() < start_at:
                time.sleep(0.001)
            while time.monotonic() < start_at + seconds:
                if client.get(path).status_code == 200:
                    ok[index] += 1
                else:
                    failed[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(ok), sum(failed)


def _client_process(args: tuple[str, str, int, float, float]) -> tuple[int, int]:
    url, path, threads, start_at, seconds = args
    return run_clients(url, path, threads=threads, start_at=start_at, seconds=seconds)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    parser.add_argument("--threads", type=int, default=4, help="client threads (in total, per run)")
    parser.add_argument("--processes", type=int, default=2, help="client processes for the second run")
    parser.add_argument("--starts", type=int, default=3, help="start-ups to time")
    args = parser.parse_args()

    startups = measure_startups(args.starts)
    print(
        f"start-up (spawn -> ready line), {len(startups)} runs: "
        f"median {statistics.median(startups) * 1000:.0f} ms, min {min(startups) * 1000:.0f} ms, "
        f"max {max(startups) * 1000:.0f} ms"
    )

    with EmulatorProcess(partner_key=PARTNER_KEY) as emulator:
        assert emulator.pid is not None
        body = {"name": "bench org", "sso_domain": "bench.example"}
        created = httpx.post(f"{emulator.url}/api/organizations", headers=HEADERS, json=body)
        created.raise_for_status()
        path = f"/api/organizations/{created.json()['data']['id']}"

        cpu_before = cpu_seconds(emulator.pid)
        ok, failed = run_clients(
            emulator.url, path, threads=args.threads, start_at=time.monotonic() + 0.2, seconds=args.seconds
        )
        cpu_used = cpu_seconds(emulator.pid) - cpu_before
        print(
            f"GET {{id}}, {args.threads} httpx keep-alive threads in 1 process: "
            f"{ok / args.seconds:,.0f} requests/s ({ok} ok, {failed} failed in {args.seconds:.1f} s)"
        )
        if ok:
            per_request = cpu_used / ok
            print(
                f"server CPU per request: {per_request * 1e6:.0f} us "
                f"(about {1 / per_request:,.0f} requests/s per server core)"
            )

        per_process = max(1, args.threads // args.processes)
        start_at = time.monotonic() + 1.5  # room for the client processes to start
        jobs = [(emulator.url, path, per_process, start_at, args.seconds)] * args.processes
        with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
            results = pool.map(_client_process, jobs)
        ok = sum(r[0] for r in results)
        failed = sum(r[1] for r in results)
        print(
            f"GET {{id}}, {args.processes} processes x {per_process} httpx keep-alive threads: "
            f"{ok / args.seconds:,.0f} requests/s ({ok} ok, {failed} failed in {args.seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
