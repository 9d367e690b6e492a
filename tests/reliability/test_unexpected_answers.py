"""Answers a client must not take as they come.

A success status whose body is not the API's (a captive portal's HTML page, a bad gzip stream, JSON of
another shape or nested beyond reason): one error that says what came and where to look, never a raw
JSONDecodeError, DecodingError or RecursionError, and never the body itself. An answer trickled a byte at
a time: cut at the request timeout."""

from __future__ import annotations

import gzip
import json
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from polytomic_provider.client import MAX_ANSWER_BYTES, PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import PolytomicError, TransportError, UnexpectedAnswer

ECHOED = "echoed-partner-key-0123456789"
BODIES: dict[str, tuple[dict[str, str], bytes]] = {
    "html sign-in page": ({"Content-Type": "text/html"}, f"<html>Sign in {ECHOED}</html>".encode()),
    "bad gzip": ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, b"not gzip at all"),
    "deep json": ({"Content-Type": "application/json"}, b"[" * 100_000 + b"]" * 100_000),
    "json of another shape": ({"Content-Type": "application/json"}, b'{"data": {"name": 5}}'),
    "gzip of html": (
        {"Content-Type": "text/html", "Content-Encoding": "gzip"},
        gzip.compress(f"<p>{ECHOED}</p>".encode()),
    ),
}


@contextmanager
def answering(headers: dict[str, str], body: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_a_2xx_that_is_not_the_apis_answer_says_so_in_one_line(kind: str) -> None:
    headers, body = BODIES[kind]
    with answering(headers, body) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
            client.get_organization("4b2f7b1e-0000-4000-8000-000000000000")
    message = str(failure.value)
    assert "something other than Polytomic's API answers there" in message
    assert "polytomic:deploymentUrl" in message and url in message
    assert ECHOED not in message and "Sign in" not in message
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_an_answer_trickled_a_byte_at_a_time_ends_within_the_request_timeout() -> None:
    """httpx bounds each read, not the request: a server sending one byte every 0.2 s would hold an
    attempt open for as long as it likes. The whole answer must come within requestTimeout."""
    body = b'{"data": {"id": "o-1", "name": "' + b"x" * 200 + b'"}}'

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:  # the client gave up, as it should
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, timeout=1.0, max_attempts=1)
        started = time.monotonic()
        with PolytomicClient(settings) as client, pytest.raises(TransportError) as failure:
            client.get_organization("4b2f7b1e-0000-4000-8000-000000000000")
        assert time.monotonic() - started < 5, "the attempt ended at its timeout, not with the trickle"
        assert "within 1 s (requestTimeout)" in str(failure.value)
    finally:
        server.shutdown()
        server.server_close()


def test_a_gzip_bomb_is_refused_before_it_fills_memory() -> None:
    """A 2xx whose small gzip body decodes to more than any API answer (here 256 MiB, sent as ~250 KiB): the
    client stops reading at MAX_ANSWER_BYTES and says what came; it never holds the whole body."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # one gzip stream
    zeros = b"\0" * 2**20
    bomb = b"".join(packer.compress(zeros) for _ in range(256)) + packer.flush()
    with answering({"Content-Type": "application/json", "Content-Encoding": "gzip"}, bomb) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        tracemalloc.start()
        try:
            with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
                client.list_organizations()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert f"more than {MAX_ANSWER_BYTES // 2**20} MiB (gzip-encoded)" in str(failure.value)
    assert "something other than Polytomic's API answers there" in str(failure.value)
    assert peak < 4 * MAX_ANSWER_BYTES, f"peak memory {peak / 2**20:.0f} MiB"


def test_an_answer_just_under_the_bound_is_read_whole() -> None:
    """The bound is on what an answer decodes to, not a cut: a large but honest list is read entire."""
    organizations = [
        {"id": f"o-{i:05d}", "name": f"Organization {i:05d} " + "x" * 400} for i in range(20_000)
    ]
    body = gzip.compress(json.dumps({"data": organizations}).encode())
    with answering({"Content-Type": "application/json", "Content-Encoding": "gzip"}, body) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client:
            listed = client.list_organizations()
    assert len(listed) == 20_000 and listed[-1].name.startswith("Organization 19999")


_KEY_B64 = __import__("base64").b64encode(ECHOED.encode()).decode()


@pytest.mark.parametrize(
    "content_type", [ECHOED, f"text/{ECHOED}", f"{ECHOED}/html", f"text/{_KEY_B64}", f"text/html; x={ECHOED}"]
)
def test_point_1_a_hostile_content_type_never_reaches_the_message(content_type: str) -> None:
    """#27 F1: the Content-Type header is the server's text; only a plain type/subtype free of any
    secret form is named."""
    with answering({"Content-Type": content_type}, b"<html>no</html>") as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
            client.get_organization("4b2f7b1e-0000-4000-8000-000000000000")
    message = str(failure.value)
    assert ECHOED not in message and _KEY_B64 not in message and ECHOED[:12] not in message
    assert "something other than Polytomic's API answers there" in message


@pytest.mark.parametrize("extra", [ECHOED, _KEY_B64])
def test_point_1_a_hostile_content_encoding_never_reaches_the_message(extra: str) -> None:
    """#27 F1: the too-large message names only the decoders httpx applied, never the header's text."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * 2**20
    bomb = b"".join(packer.compress(zeros) for _ in range(MAX_ANSWER_BYTES // 2**20 + 1)) + packer.flush()
    with answering({"Content-Type": "application/json", "Content-Encoding": f"gzip, {extra}"}, bomb) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
            client.list_organizations()
    message = str(failure.value)
    assert ECHOED not in message and _KEY_B64 not in message
    assert "(gzip-encoded)" in message


@pytest.mark.parametrize("status", [200, 401])
@pytest.mark.parametrize("header", ["Content-Type", "X-Request-Id"])
def test_point_2_a_header_of_non_ascii_bytes_is_no_raw_exception(status: int, header: str) -> None:
    """A header value with a byte over 0x7f (a proxy's latin-1 text) raised a raw UnicodeEncodeError when
    the read answer was rebuilt, shown with a traceback; the header's text is never shown."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header(header, f"text/\xff{ECHOED}")  # sent as latin-1
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(PolytomicError) as failure:
            client.get_organization("4b2f7b1e-0000-4000-8000-000000000000")
    finally:
        server.shutdown()
        server.server_close()
    assert ECHOED not in str(failure.value) and "\xff" not in str(failure.value)


@pytest.mark.parametrize("escaped", ["\\ud800", "\\udc00", "x\\udfffy"])
def test_point_2_a_lone_surrogate_in_a_2xx_answer_is_not_the_apis_answer(escaped: str) -> None:
    """JSON's escapes can spell half a UTF-16 pair, which no UTF-8 text holds: an id of one passed the
    models, then raised a raw UnicodeEncodeError when it was put in a path ('generate' printed a traceback)
    or sent to the engine."""
    body = f'{{"data": [{{"id": "{escaped}", "name": "acme"}}]}}'.encode()
    with answering({"Content-Type": "application/json"}, body) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
            client.list_organizations()
    assert "something other than Polytomic's API answers there" in str(failure.value)


def test_point_2_an_escaped_surrogate_pair_is_still_read() -> None:
    body = '{"data": {"id": "4b2f7b1e-0000-4000-8000-000000000000", "name": "acme \\ud83d\\ude00"}}'
    with answering({"Content-Type": "application/json"}, body.encode()) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client:
            assert client.get_organization("4b2f7b1e-0000-4000-8000-000000000000").name == "acme \U0001f600"


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": {"id": "\xed\xa0\x80", "name": "acme"}}',  # the surrogate's bytes in UTF-8
        '{"data": {"id": "\\ud800", "name": "acme"}}'.encode("utf-16"),
    ],
    ids=["utf-8 bytes", "utf-16 escape"],
)
def test_point_2_a_lone_surrogate_in_any_body_encoding_is_not_the_apis_answer(body: bytes) -> None:
    with answering({"Content-Type": "application/json"}, body) as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer):
            client.get_organization("4b2f7b1e-0000-4000-8000-000000000000")


def test_point_3_a_content_type_echoing_the_client_secret_is_not_named() -> None:
    """The content type of an answer that is not the API's was named when plain and free of the partner
    key: the client_secret a create just sent (letters and digits, a plain subtype) was shown in clear."""
    from polytomic_provider.models import OrganizationSpec

    client_secret = "cs0unit0content0type0secret42"
    with answering({"Content-Type": f"application/{client_secret}"}, b"<html>no</html>") as url:
        settings = Settings(partner_key=Secret(ECHOED), deployment_url=url, max_attempts=1)
        spec = OrganizationSpec(
            name="Acme", client_id="id", client_secret=client_secret, issuer="https://idp.example.com"
        )
        with PolytomicClient(settings) as client, pytest.raises(UnexpectedAnswer) as failure:
            client.create_organization(spec, idempotency_key="k-1")
    assert client_secret not in str(failure.value)
