"""Issue #27 (an emulator that cannot be stalled), points 10 and 12 of the hostile review, second round:

- a request head is capped in bytes: over the cap it is answered 431 and the connection closed, so a
  never-ending head can neither grow the emulator's memory nor reach the journal;
- the header bytes journaled per entry are capped, and answers to unauthenticated requests never wait for
  the journal (so a burst of them cannot hold up anyone's answer);
- the cap on unauthenticated connections never evicts a client that has only just connected (it has not
  had time to send its key): the oldest idle ones past a grace period go first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.testclient import TestClient

from polytomic_emulator.journal import Journal, RequestFacts
from polytomic_emulator.launcher import EmulatorProcess

SLACK_S = 2.0


@pytest.fixture(scope="module")
def capped(kit: Any) -> Iterator[EmulatorProcess]:
    """An emulator with a long header timeout: only the head's size can end a never-ending head."""
    flags = ["--header-timeout", "30"]
    with EmulatorProcess(
        partner_key=kit.partner_key, admin_token=kit.admin_token, extra_args=flags
    ) as process:
        yield process


def connect(process: EmulatorProcess) -> socket.socket:
    address = urlsplit(process.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (or `limit` passes), and whether it did."""
    data, began = b"", time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - began < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    return data


def padding(size: int) -> bytes:
    line = b"X-Pad-%06d: " + b"a" * 200 + b"\r\n"
    return b"".join(line % n for n in range(size // len(line % 0) + 1))


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("complete", [True, False], ids=["complete head", "unfinished head"])
def test_point_12_a_request_head_over_the_cap_is_431_and_closed(
    capped: EmulatorProcess, complete: bool
) -> None:
    head = b"GET /api/organization HTTP/1.1\r\nHost: e\r\n" + padding(80 * 1024)
    head += b"\r\n" if complete else b""
    with connect(capped) as sock:
        sock.sendall(head)
        data, closed = read_until_closed(sock, SLACK_S + 1)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]
    assert closed


def test_point_12_a_head_under_the_cap_is_still_answered(capped: EmulatorProcess, kit: Any) -> None:
    head = (
        b"GET /api/organization HTTP/1.1\r\nHost: e\r\n"
        + f"Authorization: Bearer {kit.partner_key}\r\n".encode()
        + padding(40 * 1024)
        + b"\r\n"
    )
    with connect(capped) as sock:
        sock.sendall(head)
        assert read_response(sock).startswith(b"HTTP/1.1 200")


def test_point_12_a_never_ending_head_does_not_grow_memory(capped: EmulatorProcess) -> None:
    assert capped.pid is not None
    before = rss_bytes(capped.pid)
    line = b"X-Pad: " + b"a" * 1000 + b"\r\n"
    sent, cut_off = 0, False
    with connect(capped) as sock:
        sock.sendall(b"GET /api/organization HTTP/1.1\r\nHost: e\r\n")
        began = time.monotonic()
        try:
            while sent < 48 * 1024 * 1024 and time.monotonic() - began < 6:
                sock.sendall(line * 64)
                sent += len(line) * 64
        except OSError:
            cut_off = True
        if not cut_off:
            _, cut_off = read_until_closed(sock, SLACK_S)
    grown = rss_bytes(capped.pid) - before
    print(f"sent {sent} bytes; the emulator grew by {grown} bytes")
    assert cut_off
    assert grown < 16 * 1024 * 1024


def anonymous_facts(headers: list[tuple[bytes, bytes]], *, authenticated: bool = False) -> RequestFacts:
    return RequestFacts(
        method="GET",
        path="/api/organization",
        query="",
        headers=headers,
        body=b"",
        status=200 if authenticated else 401,
        fault=None,
        latency_ms=0,
        replayed=False,
        error_key=None,
        duration_ms=1.0,
        started_at=1_750_000_000.0,
        authenticated=authenticated,
    )


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "authenticated"])
def test_point_10_the_header_bytes_journaled_per_entry_are_capped(kit: Any, authenticated: bool) -> None:
    cap = 16 * 1024
    journal = Journal(capacity=10, max_bytes=10**9, secrets=(kit.partner_key,), max_header_bytes=cap)
    headers = [(b"authorization", f"Bearer {kit.partner_key}".encode())]
    headers += [(b"x-pad-%05d" % n, b"abcd" * 256) for n in range(3000)]  # 3 MiB of headers
    headers.append((b"x-late", kit.partner_key.encode()))
    began = time.perf_counter()
    journal.record(anonymous_facts(headers, authenticated=authenticated))
    took = time.perf_counter() - began
    entry = journal.entries()[-1]
    kept = sum(len(name) + len(value) for name, value in entry["headers"].items())
    assert kept <= cap + 200, kept
    assert entry["headers"]["authorization"] == "Bearer <redacted>"
    assert kit.partner_key not in str(entry)
    assert any("not kept" in name for name in entry["headers"]), list(entry["headers"])[-3:]
    assert took < 1.0, took


def test_point_10_an_anonymous_answer_does_not_wait_for_the_journal(
    client: TestClient, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = Journal.record

    def slow_record(self: Journal, facts: RequestFacts) -> None:
        if not facts.authenticated:
            time.sleep(1.5)  # a journal busy with a costly entry
        record(self, facts)

    monkeypatch.setattr(Journal, "record", slow_record)
    began = time.perf_counter()
    assert client.get("/api/organization").status_code == 401
    assert time.perf_counter() - began < 1.0
    # A reader of the journal still finds the entry: it waits for what was written before it asked.
    entries = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    assert [e["status"] for e in entries] == [401]


def test_point_10_an_authenticated_answer_does_not_wait_behind_anonymous_entries(
    client: TestClient, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = Journal.record

    def slow_record(self: Journal, facts: RequestFacts) -> None:
        if not facts.authenticated:
            time.sleep(1.5)  # a backlog of costly anonymous entries
        record(self, facts)

    monkeypatch.setattr(Journal, "record", slow_record)
    for _ in range(2):
        assert client.get("/api/organization").status_code == 401
    began = time.perf_counter()
    assert client.get("/api/organization", headers=kit.partner).status_code == 200
    assert time.perf_counter() - began < 1.0
    entries = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    assert sorted(e["status"] for e in entries) == [200, 401, 401]


def test_point_10_an_anonymous_entry_costs_little_whatever_its_headers(kit: Any) -> None:
    """Anonymous entries get a small fixed budget: a backlog of them drains quickly."""
    journal = Journal(capacity=10, max_bytes=10**9, secrets=(kit.partner_key,))
    journal.reset_client_secrets([f'abcdefgh{n:03d}<>&"/%' for n in range(64)])  # anchor "abcd"
    headers = [(b"x-a%04d" % n, b"abcd" * 60) for n in range(240)]  # a 60 KiB head, all anchors
    journal.record(anonymous_facts(headers))  # the first entry also builds the redactor: not timed
    # This thread's CPU time (record() works on the calling thread), not wall: a busy machine's other
    # processes, or a thread another test left running, must not count as this entry's cost.
    began = time.thread_time()
    for _ in range(20):
        journal.record(anonymous_facts(headers))
    per_entry = (time.thread_time() - began) / 20
    assert per_entry < 0.02, per_entry
    assert kit.partner_key not in str(journal.entries())


def test_point_10_a_burst_of_anonymous_requests_is_journaled_within_a_bounded_backlog(kit: Any) -> None:
    journal = Journal(capacity=10_000, max_bytes=10**9, secrets=(kit.partner_key,), anonymous_backlog=4)
    gate = threading.Event()
    record = journal.record

    def blocked(facts: RequestFacts) -> None:
        gate.wait(5)
        record(facts)

    journal.record = blocked  # type: ignore[method-assign]
    for _ in range(20):
        journal.submit(anonymous_facts([(b"x-key", kit.partner_key.encode())]))
    gate.set()
    journal.drain()
    entries = journal.entries()
    assert len(entries) == 20
    assert sum(1 for e in entries if e["headers"] == {}) >= 15  # beyond the backlog: a stub, no headers
    assert kit.partner_key not in str(entries)


def test_point_12_a_fresh_client_is_not_evicted_before_it_sends_its_key(kit: Any) -> None:
    cap = 4
    flags = ["--max-unauthenticated-connections", str(cap), "--header-timeout", "60", "--idle-timeout", "60"]
    authorized = (
        f"GET /api/organization HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {kit.partner_key}\r\n\r\n"
    )
    with EmulatorProcess(partner_key=kit.partner_key, extra_args=flags) as process:
        old = [connect(process) for _ in range(cap)]
        sockets = list(old)
        try:
            time.sleep(1.5)  # past the grace period: these may be evicted
            real = connect(process)  # a real client, about to send its key
            sockets.append(real)
            sockets += [connect(process) for _ in range(cap)]  # a flood right behind it
            time.sleep(0.2)
            real.sendall(authorized.encode())
            assert read_response(real).startswith(b"HTTP/1.1 200")
            for sock in old:  # the old silent ones made room
                assert read_until_closed(sock, SLACK_S)[1]
        finally:
            for sock in sockets:
                sock.close()


def test_point_12_beyond_twice_the_cap_the_oldest_silent_connection_goes(kit: Any) -> None:
    """Within the grace period the cap may be exceeded, but only twice over: descriptors stay bounded. Beyond
    that the oldest connection that has sent nothing is closed, not the newcomer (which may be a real client
    about to send its key); one that has started a request outlasts silent ones."""
    cap = 2
    flags = ["--max-unauthenticated-connections", str(cap), "--header-timeout", "60"]
    with EmulatorProcess(partner_key=kit.partner_key, extra_args=flags) as process:
        sockets = [connect(process) for _ in range(2 * cap)]
        try:
            sockets[0].sendall(b"GET /api/organization HTTP/1.1\r\n")  # a head begun: not silent
            time.sleep(0.1)
            sockets.append(extra := connect(process))
            assert read_until_closed(sockets[1], SLACK_S)[1]  # the oldest silent one made room
            assert not read_until_closed(extra, 0.3)[1]
            assert not read_until_closed(sockets[0], 0.3)[1]
            sockets.append(connect(process))
            assert read_until_closed(sockets[2], SLACK_S)[1]
            assert not read_until_closed(sockets[-1], 0.3)[1]
        finally:
            for sock in sockets:
                sock.close()


def test_point_12_a_sustained_flood_of_silent_connections_locks_no_real_client_out(kit: Any) -> None:
    """Silent connections opened faster than the grace lets the cap hold them (here 50 a second against a
    cap of 8, twice over within a second) must not refuse a real client that sends its request at once: the
    oldest silent connection makes room, not the newcomer.

    Not faster: a real client is evicted once twice the cap of newer connections came in before the server
    read its first bytes, so the rate sets the slack a busy machine has to schedule that read (at 300 a
    second, about 50 ms; at 50, about 300 ms)."""
    cap = 8
    flags = ["--max-unauthenticated-connections", str(cap), "--header-timeout", "60", "--idle-timeout", "60"]
    authorized = (
        f"GET /api/organization HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {kit.partner_key}\r\n\r\n"
    ).encode()
    with EmulatorProcess(partner_key=kit.partner_key, extra_args=flags) as process:
        stop = threading.Event()
        opened: list[socket.socket] = []
        flooded = [0]  # connections opened so far (`opened` is trimmed)

        def flood() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    opened.append(connect(process))
                    flooded[0] += 1
                if len(opened) > 400:
                    for sock in opened[:200]:
                        sock.close()
                    del opened[:200]
                time.sleep(1 / 50)

        attacker = threading.Thread(target=flood, daemon=True)
        attacker.start()
        outcomes: list[str] = []
        try:
            time.sleep(1.5)  # the flood is past the grace period and well over twice the cap
            assert flooded[0] >= 3 * cap, f"the flood opened {flooded[0]} connections: too few to test"
            before_probes = flooded[0]
            for _ in range(12):
                sock = connect(process)
                try:
                    sock.sendall(authorized)
                    response = read_response_or_closed(sock)
                    outcomes.append(response[:12].decode() or "closed")
                finally:
                    sock.close()
                time.sleep(0.1)
        finally:
            stop.set()
            attacker.join(5)
            for sock in opened:
                sock.close()
        # The flood kept on while the real clients came (12 of them take at least 1.2 s): the cap was under
        # pressure the whole time, not only before.
        assert flooded[0] - before_probes >= 2 * cap, f"{flooded[0] - before_probes} during the probes"
        assert outcomes == ["HTTP/1.1 200"] * 12, outcomes


def read_response_or_closed(sock: socket.socket) -> bytes:
    """A response's head, or b"" if the server closed (or reset) the connection first."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, TimeoutError):
        return data
    return data


def test_point_10_an_answer_does_not_wait_behind_another_callers_costly_entry(
    client: TestClient, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries are written one at a time: an org-scoped key's costly bodies (128 KiB of base64 lines took
    3 s each to redact) held up every other caller's answer, the partner's included (8 of them: 22 s)."""
    record = Journal.record

    def slow_record(self: Journal, facts: RequestFacts) -> None:
        if facts.method == "GET" and facts.body:
            time.sleep(3.0)  # the org key's costly entry
        record(self, facts)

    monkeypatch.setattr(Journal, "record", slow_record)
    monkeypatch.setattr("polytomic_emulator.journal.ENTRY_WAIT_S", 0.5, raising=False)
    began = time.perf_counter()
    assert client.request("GET", "/api/organization", headers=kit.org, content=b"x" * 10).status_code == 200
    assert time.perf_counter() - began < 1.5
    began = time.perf_counter()
    assert client.get("/api/organizations", headers=kit.partner).status_code == 200
    assert time.perf_counter() - began < 1.5
    # A reader of the journal still finds both entries, in order.
    entries = client.get("/_emulator/journal", headers=kit.admin).json()["data"]
    assert [e["path"] for e in entries] == ["/api/organization", "/api/organizations"]


def test_point_10_a_backlog_of_authenticated_entries_is_bounded(kit: Any) -> None:
    """Answers no longer wait for a slow entry, so a flood could queue bodies without end: past the bound an
    entry is written at once as a stub."""
    journal = Journal(capacity=10_000, max_bytes=10**9, secrets=(kit.partner_key,), backlog=4)
    gate = threading.Event()
    record = journal.record

    def blocked(facts: RequestFacts) -> None:
        gate.wait(5)
        record(facts)

    journal.record = blocked  # type: ignore[method-assign]

    async def flood() -> None:
        for _ in range(20):
            await journal.write(anonymous_facts([(b"x-key", kit.partner_key.encode())], authenticated=True))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("polytomic_emulator.journal.ENTRY_WAIT_S", 0.01)
        asyncio.run(flood())
    gate.set()
    journal.drain()
    entries = journal.entries()
    assert len(entries) == 20
    assert sum(1 for e in entries if e["headers"] == {}) >= 15  # beyond the backlog: a stub, no headers
    assert kit.partner_key not in str(entries)
