"""A stack of 25 organizations converges to exactly the declared set under injected faults.

Each case deploys with the real CLI while the emulator misbehaves, then compares the emulator's database
with the program: same names and fields, no duplicates, nothing lost, and a following preview shows no
changes. Every case runs once per front end (the `front_end` fixture: the dynamic provider, the provider
plugin). The figures of each run (front end, declared, created, duplicates, lost, retries, wall time) are
printed and, when POLYTOMIC_RELIABILITY_REPORT names a file, appended to it as JSON lines.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from typing import Any

import pytest
from pulumi import automation as auto

from polytomic_emulator.launcher import EmulatorProcess
from tests.front_ends import FrontEnd
from tests.pulumi_harness import StackFactory, StackHarness

pytestmark = pytest.mark.e2e

COUNT = 25


def declared(count: int = COUNT) -> list[dict[str, Any]]:
    return [
        {
            "resource": f"org{i:02d}",
            "name": f"Reliability Org {i:02d}",
            "sso_domain": f"org{i:02d}.example.com",
            **({"sso_org_id": f"org_{i:02d}"} if i % 2 else {}),
        }
        for i in range(count)
    ]


def up_until_converged(harness: StackHarness, attempts: int = 3) -> int:
    """`up`, and once more if a fault outlasted the retry budget: what a pipeline's re-run does."""
    for attempt in range(1, attempts + 1):
        try:
            harness.up()
            return attempt
        except auto.CommandError:
            if attempt == attempts:
                raise
    return attempts


def assert_converged(emulator: EmulatorProcess, wanted: list[dict[str, Any]]) -> dict[str, int]:
    """The emulator holds exactly the declared organizations, once each, with the declared fields."""
    children = [o for o in emulator.admin.organizations() if not o["is_owner"]]
    names = Counter(o["name"] for o in children)
    duplicates = sum(n - 1 for n in names.values() if n > 1)
    lost = [w["name"] for w in wanted if w["name"] not in names]
    assert duplicates == 0, f"duplicates: {[n for n, c in names.items() if c > 1]}"
    assert lost == [], f"lost: {lost}"
    assert set(names) == {w["name"] for w in wanted}, "organizations that were never declared"
    by_name = {o["name"]: o for o in children}
    for want in wanted:
        record = by_name[want["name"]]
        assert record["sso_domain"] == want["sso_domain"]
        assert record["sso_org_id"] == want.get("sso_org_id")
    return {"created": len(children), "duplicates": duplicates, "lost": len(lost)}


def report(mode: str, front_end: FrontEnd, figures: dict[str, Any]) -> None:
    line = json.dumps({"mode": mode, "front_end": front_end.name, **figures})
    print(line)
    target = os.environ.get("POLYTOMIC_RELIABILITY_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def faulty_requests(emulator: EmulatorProcess) -> int:
    """Requests failed or dropped on purpose (slowed ones aside): each one cost the client a retry."""
    return sum(1 for entry in emulator.admin.journal() if entry.get("fault") not in (None, "latency"))


FAULT_PLANS = {
    "500s at 20%": {"error_rate": 0.2, "seed": 7},
    "429 with Retry-After": {"rate_limit_rate": 0.3, "retry_after_s": 1, "seed": 11},
    "added latency 300 ms": {"latency_ms": 300},
    "dropped connections": {"drop_before_rate": 0.1, "drop_after_rate": 0.1, "seed": 5},
}


@pytest.mark.parametrize("mode", list(FAULT_PLANS))
def test_stack_converges_under_faults(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd, mode: str
) -> None:
    wanted = declared()
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(wanted)
    emulator.admin.set_faults(**FAULT_PLANS[mode])

    started = time.monotonic()
    runs = up_until_converged(harness)
    elapsed = time.monotonic() - started
    retries = faulty_requests(emulator)
    emulator.admin.clear_faults()

    figures = assert_converged(emulator, wanted)
    harness.preview(expect_no_changes=True)
    report(
        mode,
        front_end,
        {
            "declared": len(wanted),
            **figures,
            "retries": retries,
            "up_runs": runs,
            "wall_s": round(elapsed, 1),
        },
    )


def test_stack_converges_when_the_api_restarts_mid_up(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    wanted = declared()
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(wanted)
    emulator.admin.set_faults(latency_ms=100)  # slow enough to restart while creates are under way

    outcome: dict[str, Any] = {}

    def deploy() -> None:
        try:
            outcome["runs"] = up_until_converged(harness)
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=deploy)
    worker.start()
    deadline = time.monotonic() + 120
    while len(emulator.admin.organizations()) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    made_before_restart = len(emulator.admin.organizations()) - 1  # the partner's owner aside
    emulator.restart()  # the fault plan and the journal are gone; the database is kept
    worker.join(timeout=300)
    elapsed = time.monotonic() - started

    assert not worker.is_alive() and "error" not in outcome, outcome.get("error")
    figures = assert_converged(emulator, wanted)
    harness.preview(expect_no_changes=True)
    report(
        "API restarted mid-up",
        front_end,
        {
            "declared": len(wanted),
            **figures,
            "created_before_restart": made_before_restart,
            "up_runs": outcome["runs"],
            "wall_s": round(elapsed, 1),
        },
    )
