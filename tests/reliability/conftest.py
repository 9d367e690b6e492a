"""The reliability suite's fixtures: `front_end` (tests/front_ends.py) runs a test against the dynamic
provider and against the provider plugin, with the same assertions."""

from __future__ import annotations

from tests.front_ends import front_end  # noqa: F401 - the fixture, for this suite's tests
