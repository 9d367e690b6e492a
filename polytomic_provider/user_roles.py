"""A role name (`Admin`, `Member`, a custom role) resolved to role ids through the organization's roles list.

One list call per organization and client (so per operation): a stack of many users of one organization
asks once. Names match case-insensitively, as Polytomic's Terraform provider matches them.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .user_models import Role

__all__ = ["RoleNotFound", "check_role_ids", "resolve_role", "roles_of"]

_ROLES: weakref.WeakKeyDictionary[AsyncPolytomicClient, dict[str, asyncio.Future[list[Role]]]] = (
    weakref.WeakKeyDictionary()
)


class RoleNotFound(LookupError):
    """No role of that name (or id) in the organization; the message lists the roles there are, scrubbed
    (the names come from the server, which may echo the credential)."""


async def roles_of(client: AsyncPolytomicClient, organization_id: str) -> list[Role]:
    """The organization's roles, listed once per client: concurrent callers share the one request, and a
    failure is not kept (the next caller asks again)."""
    known = _ROLES.setdefault(client, {})
    key = organization_id.lower()
    listing = known.get(key)
    if listing is None or (listing.done() and (listing.cancelled() or listing.exception() is not None)):
        listing = known[key] = asyncio.ensure_future(client.list_roles(organization_id))
        listing.add_done_callback(lambda done: done.cancelled() or done.exception())
    # Shielded: a caller cancelled while waiting does not cancel the request the others wait for.
    return await asyncio.shield(listing)


async def resolve_role(client: AsyncPolytomicClient, organization_id: str, name: str) -> list[str]:
    """The ids of the role named `name` (ignoring case and surrounding whitespace), as a one-item list."""
    roles = await roles_of(client, organization_id)
    wanted = name.strip().casefold()
    for role in roles:
        if role.name.strip().casefold() == wanted:
            return [role.id.lower()]
    raise RoleNotFound(
        client.scrub(
            f"role {name!r} is not a role of organization {organization_id} (its roles: {_named(roles)}): "
            f"name one of them, or give role_ids"
        )
    )


async def check_role_ids(client: AsyncPolytomicClient, organization_id: str, role_ids: list[str]) -> None:
    """Raise RoleNotFound, naming the organization's roles, when a declared id is none of them."""
    roles = await roles_of(client, organization_id)
    known = {role.id.lower() for role in roles}
    strangers = [item for item in role_ids if item.lower() not in known]
    if strangers:
        raise RoleNotFound(
            client.scrub(
                f"role_ids {strangers} are no roles of organization {organization_id} (its roles: "
                f"{_named(roles, with_ids=True)}): list their ids, or give role='<name>' instead"
            )
        )


def _named(roles: list[Role], *, with_ids: bool = False) -> str:
    if not roles:
        return "none"
    return ", ".join(f"{role.name!r} {role.id}" if with_ids else repr(role.name) for role in roles)
