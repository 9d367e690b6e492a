"""The plugin's server shows the core's errors as written, and everything else with its stack trace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pulumi.provider.experimental import provider as rpc
from pulumi.runtime.proto import provider_pb2

from polytomic_provider.errors import PolytomicError
from polytomic_provider.plugin.server import _PlainErrorServicer


class Aborted(Exception):
    """What the servicer context's abort raised: the status and the message the CLI shows."""


class Context:
    async def abort(self, code: Any, details: str) -> None:
        raise Aborted(details)


class Failing(rpc.Provider):
    def __init__(self, failure: str) -> None:
        self.failure = failure

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        if self.failure == "ours":
            raise PolytomicError("Organization 'Acme': create failed: the name is taken")
        if self.failure == "bug":
            raise KeyError("a_bug")
        try:  # a bug while handling one of our errors
            raise PolytomicError("HTTP 409 raw api message")
        except PolytomicError:
            return {}["bug_while_handling"]  # type: ignore[no-any-return]


def create(failure: str) -> BaseException:
    servicer = _PlainErrorServicer([], "1.0.0", Failing(failure), engine_address=None)
    request = provider_pb2.CreateRequest(
        urn="urn:pulumi:s::p::polytomic:index:Organization::acme", type="polytomic:index:Organization"
    )
    with pytest.raises(BaseException) as raised:
        asyncio.run(servicer.Create(request, Context()))
    return raised.value


def test_the_cores_error_is_shown_as_written_without_a_stack_trace() -> None:
    shown = create("ours")
    assert isinstance(shown, Aborted)
    assert str(shown) == "Organization 'Acme': create failed: the name is taken"


def test_a_bug_keeps_its_stack_trace() -> None:
    shown = create("bug")
    assert not isinstance(shown, Aborted)
    assert "a_bug" in str(shown) and "File " in str(shown)


def test_a_bug_raised_while_handling_one_of_our_errors_is_not_hidden_behind_it() -> None:
    shown = create("bug_while_handling")
    assert not isinstance(shown, Aborted), "the old API error must not replace the bug"
    assert "bug_while_handling" in str(shown) and "File " in str(shown)
