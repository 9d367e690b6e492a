"""The plugin's retry lines: kept on its stderr (the engine's log file) and sent to the engine, including
lines logged on a thread other than the server's event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import pytest

from polytomic_provider.plugin import engine_log
from polytomic_provider.plugin.engine_log import CURRENT_URN, EngineLogHandler, forward_warnings

RETRY_LOGGER = logging.getLogger("polytomic_provider.retry")


@pytest.fixture
def clean_retry_logger() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in engine_log.FORWARDED]
    before = [list(logger.handlers) for logger in loggers]
    yield
    for logger, handlers in zip(loggers, before, strict=True):
        logger.handlers[:] = handlers


class RecordingHandler(EngineLogHandler):
    """The engine's handler with its gRPC call replaced by a list: what would be sent, and from where."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1:1")
        self.sent: list[tuple[str, str, bool]] = []

    def _send(self, message: str, urn: str) -> None:
        on_loop = self._loop is not None and asyncio.get_running_loop() is self._loop
        self.sent.append((message, urn, on_loop))


def test_retry_lines_still_reach_stderr_once_the_engine_handler_is_attached(
    clean_retry_logger: None, capfd: pytest.CaptureFixture[str]
) -> None:
    forward_warnings("127.0.0.1:1")  # no loop is running: nothing is sent, stderr still gets the line
    RETRY_LOGGER.warning("polytomic: GET /api/organizations: attempt 1 failed (503); retrying in 0.5 s")
    assert "attempt 1 failed (503)" in capfd.readouterr().err
    assert any(isinstance(h, engine_log.EngineLogHandler) for h in RETRY_LOGGER.handlers)


@pytest.fixture
def handler() -> Iterator[RecordingHandler]:
    recording = RecordingHandler()
    logger = logging.getLogger("polytomic-test-engine-log")
    logger.addHandler(recording)
    logger.propagate = False
    yield recording
    logger.removeHandler(recording)
    logger.propagate = True


def test_a_line_logged_on_another_thread_is_sent_from_the_servers_loop_with_its_urn(
    handler: RecordingHandler,
) -> None:
    logger = logging.getLogger("polytomic-test-engine-log")

    async def serve() -> None:
        CURRENT_URN.set("urn:pulumi:s::p::polytomic:index:Organization::on-loop")
        logger.warning("from the loop")

        def elsewhere() -> None:
            CURRENT_URN.set("urn:pulumi:s::p::polytomic:index:Organization::on-thread")
            logger.warning("from a thread")

        thread = threading.Thread(target=elsewhere)
        thread.start()
        await asyncio.to_thread(thread.join)
        for _ in range(100):
            if len(handler.sent) == 2:
                break
            await asyncio.sleep(0.01)

    asyncio.run(serve())
    assert handler.sent == [
        ("from the loop", "urn:pulumi:s::p::polytomic:index:Organization::on-loop", True),
        ("from a thread", "urn:pulumi:s::p::polytomic:index:Organization::on-thread", True),
    ]


def test_once_the_server_attaches_its_loop_even_a_first_line_from_a_thread_reaches_the_engine(
    handler: RecordingHandler,
) -> None:
    logger = logging.getLogger("polytomic-test-engine-log")

    async def serve() -> None:
        handler.attach(asyncio.get_running_loop())  # what server.serve does as it starts

        def elsewhere() -> None:
            CURRENT_URN.set("urn:pulumi:s::p::polytomic:index:Organization::first")
            logger.warning("first line, from a thread")

        await asyncio.to_thread(elsewhere)
        for _ in range(100):
            if handler.sent:
                break
            await asyncio.sleep(0.01)

    asyncio.run(serve())
    assert handler.sent == [
        ("first line, from a thread", "urn:pulumi:s::p::polytomic:index:Organization::first", True)
    ]
