"""The retry policy: what is retried, how long Retry-After makes us wait, and the client's attempt budget."""

from __future__ import annotations

import datetime
import email.utils
import math
import ssl
import time

import httpx
import pytest
import stamina
from hypothesis import given, settings
from hypothesis import strategies as st

from polytomic_provider.client import PolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import Conflict, ServerError, TransportError, Unauthorized
from polytomic_provider.models import OrganizationSpec
from polytomic_provider.retry import (
    MAX_RETRY_AFTER_SECONDS,
    RetryableResponse,
    backoff_for,
    retry_after,
    should_retry,
)


def response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://api.test/x"), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert should_retry(response(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not should_retry(response(status))


def test_only_an_idempotency_conflict_is_retried() -> None:
    in_flight = response(409, json={"key": "idempotency_key_in_use", "message": "request in progress"})
    taken = response(409, json={"key": "conflict", "message": "organization name already exists"})
    assert should_retry(in_flight) and not should_retry(taken)


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert retry_after(response(429, headers={"Retry-After": "3"})) == 3.0
    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    waited = retry_after(response(429, headers={"Retry-After": later}))
    assert waited is not None and 3.0 <= waited <= 5.0
    assert retry_after(response(429, headers={"Retry-After": "3600"})) == MAX_RETRY_AFTER_SECONDS
    assert retry_after(response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(response(429)) is None


def test_backoff_hook_uses_the_server_wait_when_given() -> None:
    assert backoff_for(RetryableResponse(response(429, headers={"Retry-After": "2"}))) == 2.0
    assert backoff_for(RetryableResponse(response(503))) is True
    assert backoff_for(httpx.ConnectError("refused")) is True
    assert backoff_for(ValueError("bug")) is False


class Script:
    """A transport that answers from a list and records what it was sent."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        body = {"data": {"id": "11111111-1111-4111-8111-111111111111", "name": "a"}}
        return httpx.Response(answer, json=body if answer < 400 else {"message": f"status {answer}"})


def client_for(script: Script, attempts: int = 3) -> PolytomicClient:
    settings = Settings(partner_key=Secret("k"), deployment_url="https://api.test", max_attempts=attempts)
    return PolytomicClient(settings, transport=httpx.MockTransport(script))


@pytest.fixture(autouse=True)
def no_waiting() -> object:
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


def test_get_is_retried_until_it_succeeds() -> None:
    script = Script(503, httpx.ReadTimeout("slow"), 200)
    assert client_for(script).get_organization("x").name == "a"
    assert len(script.requests) == 3


def test_post_without_a_key_is_sent_once() -> None:
    script = Script(503, 200)
    with pytest.raises(ServerError):
        client_for(script).create_organization(OrganizationSpec(name="a"))
    assert len(script.requests) == 1


def test_post_with_a_key_is_retried_under_the_same_key() -> None:
    script = Script(httpx.RemoteProtocolError("dropped"), 200)
    client_for(script).create_organization(OrganizationSpec(name="a"), idempotency_key="pulumi-key-123")
    assert [r.headers["idempotency-key"] for r in script.requests] == ["pulumi-key-123", "pulumi-key-123"]


def test_the_final_error_counts_attempts_and_says_why() -> None:
    with pytest.raises(ServerError, match="after 3 attempts"):
        client_for(Script(500, 502, 503)).get_organization("x")
    with pytest.raises(TransportError, match=r"after 3 attempts \(last: ConnectError\)"):
        client_for(Script(*(httpx.ConnectError("refused") for _ in range(3)))).get_organization("x")


def test_a_name_conflict_is_not_retried() -> None:
    script = Script(409)
    with pytest.raises(Conflict):
        client_for(script).update_organization("x", OrganizationSpec(name="a"))
    assert len(script.requests) == 1


def test_every_request_carries_version_agent_and_auth() -> None:
    script = Script(200)
    client_for(script).get_organization("x")
    headers = script.requests[0].headers
    assert headers["x-polytomic-version"] == "2025-09-18"
    assert headers["user-agent"].startswith("polytomic-pulumi/")
    assert headers["authorization"] == "Bearer k"


def test_retries_are_reported_as_a_readable_line() -> None:
    from stamina.instrumentation import RetryDetails

    from polytomic_provider.retry import describe_retry

    cause = RetryableResponse(
        httpx.Response(503, request=httpx.Request("POST", "https://api.test/api/organizations"))
    )
    line = describe_retry(
        RetryDetails(
            name="x", args=(), kwargs={}, retry_num=2, wait_for=1.25, waited_so_far=0.5, caused_by=cause
        )
    )
    assert line == "polytomic: POST /api/organizations: attempt 2 failed (HTTP 503); retrying in 1.2 s"
    dropped = httpx.RemoteProtocolError("closed", request=httpx.Request("GET", "https://api.test/api/x"))
    details = RetryDetails(
        name="x", args=(), kwargs={}, retry_num=1, wait_for=0.5, waited_so_far=0, caused_by=dropped
    )
    assert "GET /api/x: attempt 1 failed (RemoteProtocolError)" in describe_retry(details)


@pytest.mark.parametrize(("status", "retried"), [(520, True), (522, True), (599, True), (501, False)])
def test_every_5xx_but_not_implemented_is_retried(status: int, retried: bool) -> None:
    assert should_retry(response(status)) is retried


def test_a_secret_in_a_long_plain_text_error_is_scrubbed_before_it_is_cut() -> None:
    key = "pk-abcdefghijklmnop"

    def proxy_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="x" * 290 + f" Authorization: {request.headers['authorization']}")

    client = PolytomicClient(
        Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1),
        transport=httpx.MockTransport(proxy_page),
    )
    with pytest.raises(ServerError) as failure:
        client.get_organization("x")
    assert "pk-abcdef"[:5] not in str(failure.value)


# -- hostile answers (issue 15: findings 2 and 5; issue 10: TLS) ---------------------------------------------


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e400", "Infinity"])
def test_a_retry_after_that_is_not_a_finite_number_counts_as_absent(value: str) -> None:
    assert retry_after(response(429, headers={"Retry-After": value})) is None


def test_a_negative_retry_after_means_now() -> None:
    assert retry_after(response(429, headers={"Retry-After": "-5"})) == 0.0


@settings(max_examples=500, deadline=None)
@given(
    value=st.one_of(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
        st.floats().map(repr),
        st.integers().map(str),
        st.datetimes(timezones=st.just(datetime.UTC)).map(
            lambda d: email.utils.format_datetime(d, usegmt=True)
        ),
        st.sampled_from(
            ["nan", "inf", "-0", "1e-400", "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]
        ),
    )
)
def test_any_retry_after_gives_no_wait_or_a_finite_one_within_bounds(value: str) -> None:
    waited = retry_after(response(429, headers={"Retry-After": value}))
    assert waited is None or (math.isfinite(waited) and 0.0 <= waited <= MAX_RETRY_AFTER_SECONDS)


def test_the_error_key_and_an_empty_reason_phrase_cannot_leak_the_key() -> None:
    key = "pk-test-9d8c7b6a5f4e3d2c"

    def rejects(request: httpx.Request) -> httpx.Response:
        sent = request.headers["authorization"].removeprefix("Bearer ")
        return httpx.Response(401, json={"key": f"invalid key {sent}"}, extensions={"reason_phrase": b""})

    client = PolytomicClient(
        Settings(partner_key=Secret(key), deployment_url="https://api.test", max_attempts=1),
        transport=httpx.MockTransport(rejects),
    )
    with pytest.raises(Unauthorized) as failure:
        client.get_organization("x")
    text = str(failure.value) + repr(failure.value.args) + str(failure.value.key)
    assert "invalid key" in text and key not in text


def test_a_header_value_the_http_library_refuses_is_not_retried() -> None:
    script = Script(httpx.LocalProtocolError("Illegal header value"), 200)
    with pytest.raises(TransportError):
        client_for(script).get_organization("x")
    assert len(script.requests) == 1


def test_a_tls_failure_is_not_retried() -> None:
    try:
        try:
            raise ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
        except ssl.SSLError as tls:
            raise httpx.ConnectError(str(tls)) from tls
    except httpx.ConnectError as error:
        assert backoff_for(error) is False
    assert backoff_for(httpx.ConnectError("Connection refused")) is True
