"""`pulumi up` killed with SIGKILL mid-run and recovered as the README says converges without duplicates.

The same names were created and destroyed earlier (inside the API's 24-hour replay window), which is where
a key derived from names used to replay the wrong outcome; the recovery adopts only what the killed run's
own pending creates prove.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from polytomic_provider.emulator.launcher import EmulatorProcess
from tests.pulumi_harness import StackFactory
from tests.reliability.test_faults import assert_converged, declared, report

pytestmark = pytest.mark.e2e


def live_session_members(session_id: int) -> list[int]:
    """Pids of live (not zombie) processes in a session, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id and fields[0] != "Z":  # fields: state, ppid, pgrp, session, ...
            members.append(int(entry))
    return members


def kill_session(session_id: int) -> None:
    for pid in live_session_members(session_id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_up_killed_mid_run_then_recovered_converges(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    wanted = declared()
    harness = make_stack(emulator=emulator)
    harness.set_organizations(wanted)
    harness.up()
    harness.destroy()
    emulator.admin.set_faults(latency_ms=150)  # keep the run going long enough to be killed mid-way

    started = time.monotonic()
    run = subprocess.Popen(
        harness.cli_command("up", "--yes", "--skip-preview"),
        cwd=harness.work_dir,
        env=harness.cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the CLI, language host, program and provider host
    )
    try:
        deadline = time.monotonic() + 120
        while len(emulator.admin.organizations()) < 9 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        # SIGKILL the CLI's process group (Pulumi gives each plugin a group of its own).
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    # The plugins notice the engine is gone and exit by themselves: the language host (with the program it
    # runs) and the provider host (through polytomic_provider.watchdog).
    deadline = time.monotonic() + 15
    while live_session_members(run.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = live_session_members(run.pid)
    kill_session(run.pid)
    assert leftovers == [], "plugins of the killed run outlived it"
    made_before_kill = len(emulator.admin.organizations()) - 1
    in_state_before = len(harness.state_resources())
    assert 0 < made_before_kill < len(wanted), "the kill should land mid-run"
    emulator.admin.clear_faults()

    # Recovery, as documented in the README.
    harness.cli("cancel", "--yes")
    recovered = subprocess.run(
        [sys.executable, "-m", "polytomic_provider.cli", "recover", "--stack", harness.stack.name],
        cwd=harness.work_dir,
        env=harness.cli_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert recovered.returncode == 0, recovered.stderr
    imported = recovered.stdout.count("import: ")
    assert imported > 0, recovered.stdout
    assert len(harness.state_resources()) == in_state_before + imported
    harness.cli("up", "--yes", "--skip-preview")
    elapsed = time.monotonic() - started

    figures = assert_converged(emulator, wanted)
    harness.preview(expect_no_changes=True)
    report(
        "SIGKILL mid-up",
        {
            "declared": len(wanted),
            **figures,
            "created_before_kill": made_before_kill,
            "in_state_before_recovery": in_state_before,
            "imported_by_recover": imported,
            "wall_s": round(elapsed, 1),
        },
    )
