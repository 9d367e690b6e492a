"""`pulumi up` killed with SIGKILL mid-run and recovered per docs/recovery.md converges without duplicates.

The same names were created and destroyed earlier (inside the API's 24-hour replay window), which is where
a key derived from names used to replay the wrong outcome; the recovery adopts only what the killed run's
own pending creates prove. It runs once per front end: the dynamic provider (its provider host is
`python -m pulumi.dynamic`) and the provider plugin (`pulumi-resource-polytomic`, a process of its own that
the engine starts with its address); each watches the engine (polytomic_provider.watchdog), so either one
must be gone within the same few seconds of the kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import file_backend
from tests.front_ends import DYNAMIC, PLUGIN, FrontEnd
from tests.pulumi_harness import StackFactory, StackHarness
from tests.reliability.test_faults import assert_converged, declared, report
from tests.support import CLIENT_SECRET

pytestmark = pytest.mark.e2e
LANGUAGE_HOST = "pulumi-language-python"


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


def command_line(pid: int) -> list[str]:
    """The arguments a process was started with, each path cut to its file name ([] once it is gone):
    `python pulumi-resource-polytomic 127.0.0.1:...`, `python -u -m pulumi.dynamic 127.0.0.1:...`."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [os.path.basename(arg.decode()) for arg in handle.read().split(b"\0") if arg]
    except OSError:
        return []


def session_commands(session_id: int) -> list[str]:
    """What each live process of a session runs, one line each (processes gone meanwhile left out)."""
    return [" ".join(argv) for argv in map(command_line, live_session_members(session_id)) if argv]


def checkpoint_on_disk(harness: StackHarness) -> dict[str, Any]:
    """The stack's latest deployment, read from the file:// backend's checkpoint file ({} if not there)."""
    root = file_backend.local_root(harness.cli_env["PULUMI_BACKEND_URL"])
    assert root is not None
    for path in (root / ".pulumi" / "stacks").glob(f"*/{harness.stack.name}.json"):
        with contextlib.suppress(OSError, ValueError):  # replaced by rename meanwhile: read it next time
            latest: dict[str, Any] = json.loads(path.read_bytes())["checkpoint"]["latest"]
            return latest or {}
    return {}


def organizations_on_disk(harness: StackHarness, front_end: FrontEnd) -> int:
    """Organizations the stack's checkpoint holds (created and saved), read from the backend's file."""
    resources = checkpoint_on_disk(harness).get("resources") or []
    return sum(r["type"].endswith(front_end.type_suffix) for r in resources)


def pending_creates_on_disk(harness: StackHarness) -> bool:
    operations = checkpoint_on_disk(harness).get("pending_operations") or []
    return any(operation.get("type") == "creating" for operation in operations)


def recover(harness: StackHarness) -> subprocess.CompletedProcess[str]:
    """`polytomic-pulumi recover --cancel`, run in the project as docs/recovery.md says."""
    command = [sys.executable, "-m", "polytomic_provider.cli", "recover", "--stack", harness.stack.name]
    return subprocess.run(
        [*command, "--cancel"],
        cwd=harness.work_dir,
        env=harness.cli_env,
        capture_output=True,
        text=True,
        check=False,
    )


def kill_session(session_id: int) -> None:
    for pid in live_session_members(session_id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_up_killed_mid_run_then_recovered_converges(
    make_stack: StackFactory, emulator: EmulatorProcess, front_end: FrontEnd
) -> None:
    wanted = declared()
    harness = front_end.stack(make_stack, emulator)
    harness.set_organizations(wanted)
    harness.up()
    harness.destroy()
    # Each API call held for a second: a create is in flight for that long, and a round of creates takes
    # as long, so the kill below lands mid-run even when this loop's polls wake late on a busy machine (at
    # 150 ms the plugin's run had less than one round of creates left when the kill landed).
    emulator.admin.set_faults(latency_ms=1000)

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
        # A create answered and saved in the state: the run is mid-way, its provider running, and recovery
        # will meet finished creates beside the pending ones.
        while (
            not organizations_on_disk(harness, front_end)
            and run.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        running = session_commands(run.pid)
        # Kill while a create is in flight: its pending create is on disk before the provider is called,
        # and the emulator holds each POST for the latency, so the kill lands before the answer.
        while not pending_creates_on_disk(harness) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert run.poll() is None, "the run ended before it could be killed mid-way"
    finally:
        # SIGKILL the CLI's process group (Pulumi gives each plugin a group of its own); gone already if
        # the run ended, which the assertion above reports.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)

    killed = time.monotonic()

    # What talks to the engine notices it is gone and exits by itself: the program (its calls fail) and the
    # provider process, the dynamic provider host or the plugin (through polytomic_provider.watchdog). The
    # plugin is started in a process group of its own but stays in the session, so it is counted here too.
    # Pulumi's Python language host checks the engine only every 5 minutes (rpcutil.Healthcheck) and exits
    # at its next check: the one process that may remain, idle, until then.
    def outliving() -> list[str]:
        return [c for c in session_commands(run.pid) if c.split()[0] != LANGUAGE_HOST]

    deadline = time.monotonic() + 15
    while outliving() and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = outliving()
    exited_after = time.monotonic() - killed
    kill_session(run.pid)
    assert any(front_end.provider_process in command for command in running), f"no provider: {running}"
    assert leftovers == [], f"processes of the killed run outlived it: {leftovers}"
    made_before_kill = len(emulator.admin.organizations()) - 1
    # Read from the backend's file: the kill may have left the stack unreadable to the CLI until recover.
    in_state_before = organizations_on_disk(harness, front_end)
    assert 0 < made_before_kill < len(wanted), "the kill should land mid-run"
    assert in_state_before > 0, "recovery should meet creates the state already holds"
    assert pending_creates_on_disk(harness), "the kill should land while a create is in flight"
    emulator.admin.clear_faults()

    # Recovery, as documented in docs/recovery.md.
    recovered = recover(harness)
    assert recovered.returncode == 0, f"{recovered.stdout}\n{recovered.stderr}"
    imported = recovered.stdout.count("import: ")
    assert imported > 0, recovered.stdout
    assert len(front_end.organizations_in_state(harness)) == in_state_before + imported
    harness.cli("up", "--yes", "--skip-preview")
    elapsed = time.monotonic() - started

    figures = assert_converged(emulator, wanted)
    harness.preview(expect_no_changes=True)
    report(
        "SIGKILL mid-up",
        front_end,
        {
            "declared": len(wanted),
            **figures,
            "created_before_kill": made_before_kill,
            "in_state_before_recovery": in_state_before,
            "imported_by_recover": imported,
            "processes_gone_s": round(exited_after, 1),
            "wall_s": round(elapsed, 1),
        },
    )


def test_recover_repairs_the_stack_metadata_a_kill_left_empty(
    make_stack: StackFactory, emulator: EmulatorProcess
) -> None:
    """A kill while the file backend rewrites `<stack>.json.attrs` (in place, before renaming the new
    checkpoint into place) leaves it empty, and every command on the stack fails, `pulumi cancel` first;
    the documented `recover --cancel` gives the stack back as it was last saved."""
    harness = DYNAMIC.stack(make_stack, emulator)
    harness.set_organizations(declared(2))
    harness.up()
    root = file_backend.local_root(harness.cli_env["PULUMI_BACKEND_URL"])
    assert root is not None
    (metadata,) = (root / ".pulumi" / "stacks").glob(f"*/{harness.stack.name}.json.attrs")
    metadata.write_bytes(b"")
    broken = harness.cli("cancel", "--yes", check=False)
    assert broken.returncode != 0 and "failed to load checkpoint: EOF" in broken.stderr

    recovered = recover(harness)

    assert recovered.returncode == 0, f"{recovered.stdout}\n{recovered.stderr}"
    assert f"removed {metadata}" in recovered.stdout
    assert "nothing to recover" in recovered.stdout
    assert len(DYNAMIC.organizations_in_state(harness)) == 2
    harness.preview(expect_no_changes=True)


def pending_user_creates_on_disk(harness: StackHarness) -> list[str]:
    """The URNs of the users whose create is pending in the stack's checkpoint file."""
    operations = checkpoint_on_disk(harness).get("pending_operations") or []
    return [
        str(op["resource"]["urn"])
        for op in operations
        if op.get("type") == "creating" and str(op["resource"].get("type", "")).endswith(":User")
    ]


def plugin_users_with_bob(make_stack: StackFactory, emulator: EmulatorProcess) -> StackHarness:
    """tests/e2e/programs/plugin-users with a second user, bob (a Member), declared beside jane."""
    harness = make_stack("plugin-users", emulator=emulator)
    program = harness.work_dir / "Pulumi.yaml"
    bob = "  bob:\n    type: polytomic:index:User\n    properties:\n      organizationId: ${acme.id}\n"
    bob += "      email: Bob@Example.com\n      role: Member\n"
    program.write_text(program.read_text().replace("variables:\n", f"{bob}variables:\n"))
    return harness


def users_stack(make_stack: StackFactory, emulator: EmulatorProcess) -> StackHarness:
    """tests/e2e/programs/users: an organization, jane (Admin) and bob (a Member), dynamic provider."""
    harness = make_stack("users", emulator=emulator)
    harness.set_secret("clientSecret", CLIENT_SECRET)
    return harness


@pytest.mark.parametrize(
    "make_users_stack", [users_stack, plugin_users_with_bob], ids=[DYNAMIC.name, PLUGIN.name]
)
def test_up_killed_while_users_are_created_then_recovered_invites_each_user_once(
    make_stack: StackFactory,
    emulator: EmulatorProcess,
    partner_api: httpx.Client,
    make_users_stack: Callable[[StackFactory, EmulatorProcess], StackHarness],
) -> None:
    """An organization and two users; `up` is SIGKILLed while the users' creates are in flight (each POST
    held by the emulator's latency after it claimed its Idempotency-Key). `recover` sends each pending
    create again with its own key, so the API replays the user it made or makes it now: afterwards each
    user exists once and was invited once, `up` converges and a second preview has nothing to change."""
    harness = make_users_stack(make_stack, emulator)
    # Long enough that the POSTs reach the API and wait there, the kill landing before their answers, however
    # late this test's polls and sleeps wake on a busy machine (0.6 s left about 0.3 s of slack).
    latency_s = 2.0
    emulator.admin.set_faults(latency_ms=int(latency_s * 1000))
    run = subprocess.Popen(
        harness.cli_command("up", "--yes", "--skip-preview"),
        cwd=harness.work_dir,
        env=harness.cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(pending_user_creates_on_disk(harness)) < 2 and time.monotonic() < deadline:
            if run.poll() is not None:
                break
            time.sleep(0.01)
        time.sleep(latency_s / 3)  # the POSTs reach the API and wait there, keys claimed, users not yet made
        pending_at_kill = pending_user_creates_on_disk(harness)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
    time.sleep(latency_s + 1)  # the API finishes what it received: the users are made, their answers lost
    kill_session(run.pid)
    emulator.admin.clear_faults()
    assert len(pending_at_kill) == 2, f"the kill should land while both users are created: {pending_at_kill}"
    users_in_state = [
        r for r in checkpoint_on_disk(harness).get("resources", []) if r["type"].endswith(":User")
    ]
    assert users_in_state == [], "no user's answer reached the stack before the kill"
    invited_at_kill = len(emulator.admin.invitations())

    recovered = recover(harness)

    assert recovered.returncode == 0, f"{recovered.stdout}\n{recovered.stderr}"
    assert recovered.stdout.count("import: ") == 2, recovered.stdout
    users = harness.state_resources(":User")
    assert len(users) == 2
    harness.cli("up", "--yes", "--skip-preview")
    harness.preview(expect_no_changes=True)

    [org] = [o["id"] for o in emulator.admin.organizations() if not o["is_owner"]]
    listed = partner_api.get(f"/api/organizations/{org}/users").json()["data"]
    invitations = emulator.admin.invitations()
    assert sorted(u["email"] for u in listed) == ["bob@example.com", "jane@example.com"], "no second user"
    assert sorted((i["user_id"], i["email"]) for i in invitations) == sorted(
        (u["id"], u["email"]) for u in listed
    ), "exactly one invitation per user"
    assert {r["id"] for r in harness.state_resources(":User")} == {u["id"] for u in listed}
    report(
        "SIGKILL mid user creates",
        DYNAMIC if make_users_stack is users_stack else PLUGIN,
        {"users": 2, "invited_at_kill": invited_at_kill, "imported_by_recover": 2, "invitations": 2},
    )
