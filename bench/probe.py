"""Reading what bench/hooks/sitecustomize.py wrote for the Python processes of one command (peak RSS, CPU,
and which processes the engine killed), kept apart from running the command that produced it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
