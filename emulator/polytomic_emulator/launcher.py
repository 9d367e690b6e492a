"""Start and stop the emulator as a child process, for tests, the demo and benchmarks.

Why a subprocess and not a thread: a separate process is what clients meet in real life (its own event
loop, real sockets, real restarts and crashes), and `kill()` / `restart()` can then test persistence and
in-flight failures honestly. Secrets go to the child through environment variables, never argv, and the
child's output goes to a log file (``log_path``) rather than the parent's stdout.

This module imports only the standard library, httpx and `settings`, so importing it is cheap.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from .settings import DEFAULT_ADMIN_TOKEN, ENV_ADMIN_TOKEN, ENV_API_KEYS, ENV_PARTNER_KEY

__all__ = ["DEFAULT_ADMIN_TOKEN", "EmulatorAdmin", "EmulatorProcess", "EmulatorStartError"]

READY_LINE = re.compile(r"^Polytomic emulator listening on (http://\S+)$", re.MULTILINE)


class EmulatorStartError(RuntimeError):
    """The emulator did not announce itself in time, or exited first. The message includes its output."""


class EmulatorAdmin:
    """Client for the ``/_emulator/`` control routes. Each call opens its own connection, so an admin
    object stays usable across restarts of the emulator."""

    def __init__(self, url: str, admin_token: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self._headers = {"X-Emulator-Admin-Token": admin_token}
        self._timeout = timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with httpx.Client(base_url=self.url, headers=self._headers, timeout=self._timeout) as client:
            response = client.request(method, path, **kwargs)
        response.raise_for_status()
        return response

    def health(self) -> bool:
        try:
            response = httpx.get(f"{self.url}/_emulator/health", timeout=self._timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200 and response.json().get("status") == "ok"

    def journal(self, *, since: int = 0) -> list[dict[str, Any]]:
        """Journal entries (oldest first), optionally only those after seq ``since``."""
        entries: list[dict[str, Any]] = self._request(
            "GET", "/_emulator/journal", params={"since": since}
        ).json()["data"]
        return entries

    def clear_journal(self) -> None:
        self._request("DELETE", "/_emulator/journal")

    def set_faults(self, **plan: Any) -> None:
        """Replace the fault plan; keyword names are the fields of `faults.FaultPlan`."""
        self._request("PUT", "/_emulator/faults", json=plan)

    def faults(self) -> dict[str, Any]:
        """The current plan, with one-shot counters as they stand."""
        plan: dict[str, Any] = self._request("GET", "/_emulator/faults").json()["data"]
        return plan

    def clear_faults(self) -> None:
        self._request("DELETE", "/_emulator/faults")

    def organizations(self) -> list[dict[str, Any]]:
        """Every organization, owner included, with client_id and has_client_secret (never the secret)."""
        orgs: list[dict[str, Any]] = self._request("GET", "/_emulator/organizations").json()["data"]
        return orgs

    def invitations(self) -> list[dict[str, Any]]:
        """Every invitation recorded (one per user created; no mail is sent), oldest first."""
        sent: list[dict[str, Any]] = self._request("GET", "/_emulator/invitations").json()["data"]
        return sent

    def reset(self) -> None:
        self._request("POST", "/_emulator/reset")


class EmulatorProcess:
    """``python -m polytomic_emulator`` as a context manager.

    With ``port=0`` the emulator picks a free port; `restart()` reuses whatever port it got. With
    ``db_path=None`` the database is a file in the launcher's temporary directory, so a restart keeps the
    data either way; the directory (log included) is removed when the context manager exits.
    """

    def __init__(
        self,
        *,
        partner_key: str,
        db_path: Path | None = None,
        api_keys: Sequence[str] = (),
        admin_token: str = DEFAULT_ADMIN_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_args: Sequence[str] = (),
        start_timeout: float = 10.0,
        python: str = sys.executable,
    ) -> None:
        self.partner_key = partner_key
        self.api_keys = tuple(api_keys)
        self.admin_token = admin_token
        self.host = host
        self.port = port
        self.extra_args = tuple(extra_args)
        self.start_timeout = start_timeout
        #: The interpreter that runs ``-m polytomic_emulator``: this one, or another virtualenv's.
        self.python = python
        self._tmp = Path(tempfile.mkdtemp(prefix="polytomic-emulator-"))
        self.db_path = Path(db_path).resolve() if db_path is not None else self._tmp / "emulator.sqlite3"
        self.log_path = self._tmp / "emulator.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._reaper: weakref.finalize[[subprocess.Popen[bytes]], EmulatorProcess] | None = None
        self._url: str | None = None
        self._admin: EmulatorAdmin | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator has not been started")
        return self._url

    @property
    def admin(self) -> EmulatorAdmin:
        if self._admin is None:
            raise RuntimeError("the emulator has not been started")
        return self._admin

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            raise RuntimeError("the emulator is already running")
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        command = [
            self.python,
            "-m",
            "polytomic_emulator",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db_path),
            *self.extra_args,
        ]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self._child_env(),
                start_new_session=True,
            )
        # The child has its own session (a Ctrl-C in the terminal is for the parent to handle), so make sure
        # it does not outlive a parent that forgot to stop it.
        self._reaper = weakref.finalize(self, _reap, self._process)
        self._url = self._wait_until_ready(offset)
        self.port = int(self._url.rsplit(":", 1)[1])
        self._admin = EmulatorAdmin(self._url, self.admin_token)

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[ENV_PARTNER_KEY] = self.partner_key
        env[ENV_API_KEYS] = ",".join(self.api_keys)
        env[ENV_ADMIN_TOKEN] = self.admin_token
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _wait_until_ready(self, offset: int) -> str:
        deadline = time.monotonic() + self.start_timeout
        process = self._process
        assert process is not None
        while True:
            output = self._read_log(offset)
            match = READY_LINE.search(output)
            if match:
                return match.group(1)
            if process.poll() is not None:
                raise EmulatorStartError(f"the emulator exited with status {process.returncode}:\n{output}")
            if time.monotonic() > deadline:
                self.kill()
                output = self._read_log(offset)
                raise EmulatorStartError(f"not ready after {self.start_timeout:.0f} s:\n{output}")
            time.sleep(0.01)

    def _read_log(self, offset: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_text(self) -> str:
        """Everything the child has printed so far (all runs)."""
        return self._read_log()

    def stop(self, grace_period: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after ``grace_period`` seconds. Safe to repeat."""
        process = self._forget()
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace_period)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL now: no graceful shutdown, as in a crash."""
        process = self._forget()
        if process is not None:
            _reap(process)

    def _forget(self) -> subprocess.Popen[bytes] | None:
        process, self._process = self._process, None
        if self._reaper is not None:
            self._reaper.detach()
            self._reaper = None
        return process

    def restart(self) -> None:
        """Stop, then start again on the same port and database."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the emulator and remove its temporary directory (log, and the database if it lives there)."""
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = f"running at {self._url}" if self.running else "stopped"
        return f"<EmulatorProcess {state}>"


def _reap(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
