"""Real processes: persistence across restarts and crashes, concurrency, the launcher and the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess, EmulatorStartError

READY = re.compile(r"Polytomic emulator listening on http://127\.0\.0\.1:(\d+)")


def auth(kit: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {kit.partner_key}"}


# -- persistence ------------------------------------------------------------------------------------


def test_restart_with_same_db_keeps_everything_and_one_owner(tmp_path: Path, kit: Any) -> None:
    db = tmp_path / "emulator.db"
    with EmulatorProcess(partner_key=kit.partner_key, db_path=db, api_keys=[kit.api_key]) as process:
        body = {
            "name": "Persistent",
            "client_id": "cid",
            "client_secret": "s3cret-value",
            "sso_domain": "p.test",
        }
        created = httpx.post(f"{process.url}/api/organizations", json=body, headers=auth(kit)).json()["data"]
        before = process.admin.organizations()
        port = process.port
        process.restart()
        assert process.port == port
        after = process.admin.organizations()
        assert after == before
        assert sum(org["is_owner"] for org in after) == 1
        got = httpx.get(f"{process.url}/api/organizations/{created['id']}", headers=auth(kit))
        assert got.json()["data"] == created
        mine = httpx.get(
            f"{process.url}/api/organization", headers={"Authorization": f"Bearer {kit.api_key}"}
        )
        assert mine.status_code == 200
    # A brand-new process on the same file (the context manager above removed only its temp dir).
    with EmulatorProcess(partner_key=kit.partner_key, db_path=db, api_keys=[kit.api_key]) as process:
        assert process.admin.organizations() == after


def test_committed_writes_survive_sigkill(tmp_path: Path, kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key, db_path=tmp_path / "crash.db") as process:
        for i in range(5):
            httpx.post(f"{process.url}/api/organizations", json={"name": f"Crash {i}"}, headers=auth(kit))
        process.kill()
        assert not process.running
        process.start()
        names = [org["name"] for org in process.admin.organizations()]
        assert names == ["Emulator Partner", *(f"Crash {i}" for i in range(5))]


def test_without_db_flag_the_database_is_in_memory(kit: Any) -> None:
    env = {**os.environ, "POLYTOMIC_EMULATOR_PARTNER_KEY": kit.partner_key}
    command = [sys.executable, "-m", "polytomic_emulator", "--port", "0"]
    for _ in range(2):
        child = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
        )
        try:
            url = _ready_url(child)
            assert len(httpx.get(f"{url}/api/organizations", headers=auth(kit)).json()["data"]) == 1
            httpx.post(f"{url}/api/organizations", json={"name": "Ephemeral"}, headers=auth(kit))
        finally:
            child.terminate()
            child.wait(timeout=10)


# -- concurrency ------------------------------------------------------------------------------------


def _post_all(url: str, kit: Any, names: list[str]) -> list[httpx.Response]:
    results: list[httpx.Response | None] = [None] * len(names)
    barrier = threading.Barrier(len(names))

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, headers=auth(kit), timeout=30) as client:
            barrier.wait()
            results[index] = client.post("/api/organizations", json={"name": names[index]})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result is not None for result in results)
    return [result for result in results if result is not None]


def test_fifty_concurrent_creates_with_distinct_names_all_succeed(live: EmulatorProcess, kit: Any) -> None:
    names = [f"Concurrent {i:02d}" for i in range(50)]
    responses = _post_all(live.url, kit, names)
    assert Counter(r.status_code for r in responses) == {200: 50}
    assert len({r.json()["data"]["id"] for r in responses}) == 50
    stored = [org["name"] for org in live.admin.organizations()]
    assert sorted(n for n in stored if n.startswith("Concurrent")) == names


def test_twenty_concurrent_creates_of_one_name_give_one_winner(live: EmulatorProcess, kit: Any) -> None:
    responses = _post_all(live.url, kit, ["Contested"] * 20)
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 19}
    assert all(r.json()["key"] == "organization_name_taken" for r in responses if r.status_code == 409)
    assert [org["name"] for org in live.admin.organizations()].count("Contested") == 1


# -- launcher ---------------------------------------------------------------------------------------


def test_launcher_keeps_secrets_out_of_argv_and_output_in_a_log(kit: Any) -> None:
    with EmulatorProcess(
        partner_key=kit.partner_key, api_keys=[kit.api_key], admin_token=kit.admin_token
    ) as p:
        assert p.pid is not None
        argv = Path(f"/proc/{p.pid}/cmdline").read_bytes().decode()
        for secret in (kit.partner_key, kit.api_key, kit.admin_token):
            assert secret not in argv
        assert READY.search(p.log_text())
        assert kit.partner_key not in p.log_text()
        assert p.admin.health()
        assert p.url == f"http://127.0.0.1:{p.port}"
        log_path = p.log_path
        assert log_path.exists()
        p.stop()
        p.stop()  # idempotent
        assert not p.admin.health()
    assert not log_path.exists()


def test_launcher_reports_a_failed_start_with_the_output(kit: Any) -> None:
    process = EmulatorProcess(partner_key=kit.partner_key, extra_args=["--delete-status", "418"])
    try:
        with pytest.raises(EmulatorStartError, match="invalid choice"):
            process.start()
    finally:
        process.close()


def test_launcher_reports_a_taken_port(kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key) as first:
        second = EmulatorProcess(partner_key=kit.partner_key, port=first.port)
        try:
            with pytest.raises(EmulatorStartError, match="cannot listen"):
                second.start()
        finally:
            second.close()


def test_restart_after_kill_reuses_the_port(kit: Any) -> None:
    with EmulatorProcess(partner_key=kit.partner_key) as process:
        port = process.port
        process.kill()
        process.restart()
        assert process.port == port and process.admin.health()


# -- CLI --------------------------------------------------------------------------------------------


def _ready_url(child: subprocess.Popen[str], lines: list[str] | None = None) -> str:
    assert child.stdout is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if lines is not None:
            lines.append(line.rstrip("\n"))
        match = READY.fullmatch(line.rstrip("\n"))
        if match:
            return f"http://127.0.0.1:{match.group(1)}"
    raise AssertionError("no ready line")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_EMULATOR_")}
    return {**env, **extra}


def test_cli_prints_the_development_key_only_when_defaulted() -> None:
    command = [sys.executable, "-m", "polytomic_emulator", "--port", "0"]
    defaulted = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_clean_env(), text=True
    )
    lines: list[str] = []
    try:
        url = _ready_url(defaulted, lines)
        key_line = next(line for line in lines if "development partner key" in line)
        dev_key = key_line.rsplit(" ", 1)[1]
        response = httpx.get(f"{url}/api/organization", headers={"Authorization": f"Bearer {dev_key}"})
        assert response.status_code == 200
    finally:
        defaulted.terminate()
        defaulted.wait(timeout=10)

    env = _clean_env(
        POLYTOMIC_EMULATOR_PARTNER_KEY="env-partner-key-1", POLYTOMIC_EMULATOR_ADMIN_TOKEN="env-admin"
    )
    configured = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True
    )
    lines = []
    try:
        _ready_url(configured, lines)
        assert len(lines) == 1 and READY.fullmatch(lines[0])
    finally:
        configured.terminate()
        configured.wait(timeout=10)


def test_cli_flags_override_the_environment(tmp_path: Path) -> None:
    env = _clean_env(
        POLYTOMIC_EMULATOR_PARTNER_KEY="from-env-key", POLYTOMIC_EMULATOR_API_KEYS="env-org-key-1"
    )
    command = [
        *(
            sys.executable,
            "-m",
            "polytomic_emulator",
            "--port",
            "0",
            "--partner-key",
            "from-flag-key",
        ),
        *("--api-key", "flag-org-key-1", "--api-key", "flag-org-key-2", "--owner-name", "Flag Partner"),
    ]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        url = _ready_url(child)
        assert (
            httpx.get(f"{url}/api/organization", headers={"Authorization": "Bearer from-env-key"}).status_code
            == 401
        )
        owner = httpx.get(f"{url}/api/organization", headers={"Authorization": "Bearer from-flag-key"}).json()
        assert owner["data"]["name"] == "Flag Partner"
        for key in ("flag-org-key-1", "flag-org-key-2"):
            assert (
                httpx.get(f"{url}/api/organization", headers={"Authorization": f"Bearer {key}"}).status_code
                == 200
            )
        assert (
            httpx.get(
                f"{url}/api/organization", headers={"Authorization": "Bearer env-org-key-1"}
            ).status_code
            == 401
        )
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_start_up_is_fast(kit: Any) -> None:
    process = EmulatorProcess(partner_key=kit.partner_key)
    try:
        began = time.perf_counter()
        process.start()
        waited = time.perf_counter() - began
        assert process.pid is not None
        # The child's own CPU once it is ready (typically ~0.35 s): what start-up costs, which a busy
        # machine's wall clock stretches; and the wall time, loosely, for a start-up that waits on something.
        assert process_cpu_seconds(process.pid) < 1.5
        assert waited < 6.0  # 15 times the usual, room for a slow busy machine; blocking for seconds fails
    finally:
        process.close()


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU a live process has used so far (Linux: /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
