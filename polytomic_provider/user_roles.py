"""A role name (`Admin`, `Member`, a custom role) resolved to role ids through the organization's roles list.

One list call per organization and client (so per operation): a stack of many users of one organization
asks once. Names match case-insensitively, as Polytomic's Terraform provider matches them.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .user_models import Role

__all__ = ["RoleNotFound", "resolve_role"]

_ROLES: weakref.WeakKeyDictionary[AsyncPolytomicClient, dict[str, list[Role]]] = weakref.WeakKeyDictionary()


class RoleNotFound(LookupError):
    """No role of that name in the organization; the message lists the names there are."""


async def roles_of(client: AsyncPolytomicClient, organization_id: str) -> list[Role]:
    """The organization's roles, listed once per client (a failure is not kept: the next call asks again)."""
    known = _ROLES.setdefault(client, {})
    key = organization_id.lower()
    if key not in known:
        known[key] = await client.list_roles(organization_id)
    return known[key]


async def resolve_role(client: AsyncPolytomicClient, organization_id: str, name: str) -> list[str]:
    """The ids of the role named `name` (ignoring case and surrounding whitespace), as a one-item list."""
    roles = await roles_of(client, organization_id)
    wanted = name.strip().casefold()
    for role in roles:
        if role.name.strip().casefold() == wanted:
            return [role.id.lower()]
    names = ", ".join(repr(role.name) for role in roles) or "none"
    raise RoleNotFound(
        f"role {name!r} is not a role of organization {organization_id} (its roles: {names}): name one of "
        f"them, or give role_ids"
    )
