"""What every resource of the plugin does in `check` once the inputs are read: bad input fails before any
request, and only sound inputs reach the API (the account, and whatever the resource proves there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ..problems import Problem

if TYPE_CHECKING:  # httpx and pydantic load after the plugin has told the engine its port (warmup.py)
    from ..client import AsyncPolytomicClient

__all__ = ["ClientOf", "problems_after_account_check"]

ClientOf = Callable[[], Awaitable["AsyncPolytomicClient"]]
"""The provider's client, built on first use from its settings."""


async def problems_after_account_check(
    found: list[Problem],
    client: ClientOf,
    account_check: Callable[[AsyncPolytomicClient], Awaitable[list[Problem]]],
    *,
    refused: bool = False,
) -> list[Problem]:
    """The problems the inputs have (`found`), or, when there are none and nothing was `refused`, those the
    account check finds: no request is sent for inputs already known to be bad."""
    problems = list(found)
    if problems or refused:
        return problems
    try:  # built from the settings and the CA certificates (SSL_CERT_FILE), which may be unusable
        built = await client()
    except ConfigurationError as error:
        return [Problem("", str(error))]
    return await account_check(built)
