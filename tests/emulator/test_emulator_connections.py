"""Point 12 of the hostile review: no connection is held open for free. A request head, a request body
and an idle keep-alive connection each have a timeout, and connections that have not authenticated are
capped (the oldest closed first), so silent, half-sent or anonymous connections cannot pile up. Raw sockets
on loopback against a real emulator whose limits are set short through its settings (CLI flags)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess

TIMEOUT_S = 1.0
#: A closed connection must be noticed within the timeout plus this (a loaded CI machine is slow).
SLACK_S = 2.0


@pytest.fixture(scope="module")
def short(kit: Any) -> Iterator[EmulatorProcess]:
    """An emulator whose head, body and idle timeouts are all one second."""
    flags = ["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "1"]
    with EmulatorProcess(
        partner_key=kit.partner_key, admin_token=kit.admin_token, extra_args=flags
    ) as process:
        yield process


def connect(process: EmulatorProcess) -> socket.socket:
    address = urlsplit(process.url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=10)


def read_response(sock: socket.socket) -> bytes:
    """One whole HTTP response (head and Content-Length body), however the server's writes were split."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def seconds_until_closed(sock: socket.socket, limit: float) -> float | None:
    """How long until the server closes `sock` (reading and discarding whatever it sends), or None."""
    began = time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - began < limit:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - began
        except TimeoutError:
            continue
        except ConnectionResetError:
            return time.monotonic() - began
    return None


def test_point_12_a_silent_connection_is_closed_after_the_header_timeout(short: EmulatorProcess) -> None:
    with connect(short) as sock:
        closed = seconds_until_closed(sock, TIMEOUT_S + SLACK_S)
    assert closed is not None and closed >= TIMEOUT_S * 0.8


def test_point_12_an_unfinished_or_trickled_head_is_closed(short: EmulatorProcess) -> None:
    with connect(short) as sock:
        sock.sendall(b"GET /api/organizations HTTP/1.1\r\nHost: emulator\r\n")
        assert seconds_until_closed(sock, TIMEOUT_S + SLACK_S) is not None
    with connect(short) as sock:  # a byte every 0.2 s: the head is never complete before the timeout
        began, closed_after = time.monotonic(), None
        for byte in b"GET /api/organizations HTTP/1.1\r\nX-Slow: " + b"x" * 100:
            try:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b"":
                    closed_after = time.monotonic() - began
                    break
            except BlockingIOError:  # nothing to read: still open
                continue
            except OSError:  # reset
                closed_after = time.monotonic() - began
                break
    assert closed_after is not None and closed_after < TIMEOUT_S + SLACK_S


def test_point_12_an_unfinished_head_after_a_response_is_closed(short: EmulatorProcess) -> None:
    with connect(short) as sock:  # the next request's first byte ends the idle wait and starts the head's
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\n")
        assert seconds_until_closed(sock, TIMEOUT_S + SLACK_S) is not None


def test_point_12_an_unfinished_body_is_closed_and_journaled(short: EmulatorProcess, kit: Any) -> None:
    short.admin.clear_journal()
    with connect(short) as sock:
        sock.sendall(
            b"POST /api/organizations HTTP/1.1\r\nHost: emulator\r\n"
            + f"Authorization: Bearer {kit.partner_key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            + b'{"name": "half'
        )
        closed = seconds_until_closed(sock, TIMEOUT_S + SLACK_S)
    assert closed is not None
    entries = short.admin.journal()
    assert [(e["status"], e["fault"]) for e in entries] == [(None, "body_timeout")]
    assert entries[0]["body"] == '{"name": "half'
    assert "half" not in str(short.admin.organizations())  # never handled


def test_point_12_an_idle_keep_alive_connection_is_closed(short: EmulatorProcess) -> None:
    with connect(short) as sock:
        sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: emulator\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        closed = seconds_until_closed(sock, TIMEOUT_S + SLACK_S)
    assert closed is not None


def test_point_12_unauthenticated_connections_cannot_lock_anyone_out(kit: Any) -> None:
    cap = 8
    flags = ["--max-unauthenticated-connections", str(cap), "--header-timeout", "60", "--idle-timeout", "60"]
    # The crowd is younger than the default grace; test_emulator_stalls tests the grace itself.
    flags += ["--unauthenticated-grace", "0"]
    authorized = (
        f"GET /api/organization HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {kit.partner_key}\r\n\r\n"
    )
    anonymous = b"GET /api/organization HTTP/1.1\r\nHost: e\r\n\r\n"
    with EmulatorProcess(partner_key=kit.partner_key, extra_args=flags) as process:
        trusted = connect(process)  # authenticated first: it is never closed to make room
        trusted.sendall(authorized.encode())
        assert read_response(trusted).startswith(b"HTTP/1.1 200")
        crowd: list[socket.socket] = []
        try:
            for n in range(3 * cap):  # half silent, half sending anonymous requests (401, kept alive)
                crowd.append(sock := connect(process))
                if n % 2:
                    sock.sendall(anonymous)
                    assert read_response(sock).startswith(b"HTTP/1.1 401")
            began = time.monotonic()
            response = httpx.get(
                f"{process.url}/api/organization", headers={"Authorization": f"Bearer {kit.partner_key}"}
            )
            assert response.status_code == 200 and time.monotonic() - began < SLACK_S
            # The oldest unauthenticated connections were closed to make room; the newest are still open.
            assert seconds_until_closed(crowd[0], SLACK_S) is not None
            assert seconds_until_closed(crowd[1], SLACK_S) is not None
            assert seconds_until_closed(crowd[-1], 0.5) is None
            trusted.sendall(authorized.encode())
            assert read_response(trusted).startswith(b"HTTP/1.1 200")
        finally:
            trusted.close()
            for sock in crowd:
                sock.close()
