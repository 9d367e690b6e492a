"""#27 F3: a non-JSON error body is scrubbed only in a bounded window before the 300-character cut."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from polytomic_provider.client import _error_details
from polytomic_provider.scrub import Scrubber

KEY = "pk_live_0123456789abcdef"
FORMS = (KEY, base64.b64encode(KEY.encode()).decode(), KEY.upper())


def _response(body: str) -> httpx.Response:
    request = httpx.Request("GET", "http://api.test/x")
    return httpx.Response(500, content=body.encode(), headers={"Content-Type": "text/plain"}, request=request)


class _Recording(Scrubber):
    """A scrubber that records how much text it was given."""

    def __init__(self) -> None:
        super().__init__([KEY])
        self.seen: list[int] = []

    def __call__(self, text: str) -> str:
        self.seen.append(len(text))
        return super().__call__(text)


def test_point_1_a_huge_error_body_is_scrubbed_in_a_bounded_window() -> None:
    body = ("x" * 1000 + KEY) * 4000  # ~4 MiB
    scrub = _Recording()
    started = time.monotonic()
    _, message = _error_details(_response(body), scrub)
    assert time.monotonic() - started < 2
    assert max(scrub.seen) <= 300 + 2 * scrub.longest
    assert len(message) <= 300 and KEY not in message


@pytest.mark.parametrize("start", range(280, 305))
@pytest.mark.parametrize("form", FORMS)
def test_point_1_a_secret_straddling_the_cut_never_shows(start: int, form: str) -> None:
    body = "y" * start + form + "z" * 10_000
    _, message = _error_details(_response(body), Scrubber([KEY]))
    for piece in (form[:8], form[-8:]):
        assert piece not in message or piece in "y" * 300
