"""Read-only questions about the partner account, once, for both front ends.

The Python lookups (lookups.py, run in a Pulumi program) and the plugin's functions
(`polytomic:index:getOrganization` and the rest) both call these; what a failed lookup says is decided here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import NotFound, PolytomicError
from .hints import hint_for
from .ownership import same_name

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .models import Organization

__all__ = [
    "OrganizationLookupError",
    "current_organization",
    "organization",
    "organization_by_id",
    "organization_by_name",
    "organizations",
    "which_one_problem",
]


class OrganizationLookupError(PolytomicError):
    """A lookup found nothing, or the API refused to answer it; the message says which and what to do."""


def _failure(error: PolytomicError, what: str, client: AsyncPolytomicClient) -> OrganizationLookupError:
    """Reword a client error for the program's output: which lookup, why, and what to change."""
    hint = hint_for(error, client.settings.deployment_url, "read the partner account's organizations")
    return OrganizationLookupError(f"{what} failed: {hint}")


def which_one_problem(function: str, organization_id: object, name: object) -> str | None:
    """What is wrong with the arguments of a lookup of one organization (every front end's), if anything:
    it takes exactly one of an id or a name."""
    if (organization_id is None) == (name is None):
        return f"{function} takes exactly one of id or name"
    return None


async def organization(
    client: AsyncPolytomicClient, *, organization_id: str | None, name: str | None
) -> Organization:
    """The organization with this id or this name (`which_one_problem` has checked that one is given)."""
    if organization_id is not None:
        return await organization_by_id(client, organization_id)
    return await organization_by_name(client, str(name))


async def organization_by_id(client: AsyncPolytomicClient, organization_id: str) -> Organization:
    """The organization with this id; OrganizationLookupError when the partner account has none."""
    try:
        return await client.get_organization(organization_id)
    except NotFound:
        raise OrganizationLookupError(
            f"get_organization: no organization with id {organization_id!r} in the partner account at "
            f"{client.settings.deployment_url}: check the id ('polytomic-pulumi generate' lists every "
            f"organization with its id)"
        ) from None
    except PolytomicError as error:
        raise _failure(error, f"get_organization(id={organization_id!r})", client) from None


async def organization_by_name(client: AsyncPolytomicClient, name: str) -> Organization:
    """The organization with this name (`ownership.same_name`); names are unique in a partner account."""
    try:
        listed = await client.list_organizations()
    except PolytomicError as error:
        raise _failure(error, f"get_organization(name={name!r})", client) from None
    match = next((o for o in listed if same_name(o.name, name)), None)
    if match is None:
        raise OrganizationLookupError(
            f"get_organization: no organization named {name!r} in the partner account at "
            f"{client.settings.deployment_url} (names match exactly, case included, surrounding spaces "
            f"aside; {len(listed)} organizations were searched)"
        )
    return match


async def organizations(client: AsyncPolytomicClient, name_filter: str | None = None) -> list[Organization]:
    """Every organization (the partner's owner organization first), or those whose name contains
    `name_filter`, case-insensitively."""
    try:
        listed = await client.list_organizations()
    except PolytomicError as error:
        raise _failure(error, "get_organizations", client) from None
    needle = (name_filter or "").casefold()
    return [o for o in listed if needle in o.name.casefold()]


async def current_organization(client: AsyncPolytomicClient) -> Organization:
    """The organization the configured key belongs to: the partner's owner organization for a partner key."""
    try:
        return await client.current_organization()
    except PolytomicError as error:
        raise _failure(error, "get_current_organization", client) from None
