"""What to say when a name belongs to an organization this stack cannot prove is its own.

Ownership is never inferred from a name. When the API refuses a name because another organization holds
it, the provider stops and names that organization's id with the two ways to take it over explicitly:
`adopt_id` (the user names it), or `polytomic-pulumi recover` (the stack's own pending create proves it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import PolytomicError

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .models import Organization

__all__ = ["adopt_instructions", "find_by_name", "name_taken_message"]


async def find_by_name(client: AsyncPolytomicClient, name: str) -> Organization | None:
    """The organization holding `name` (names are unique across a partner account), if the list shows one."""
    wanted = name.strip()
    return next((o for o in await client.list_organizations() if o.name.strip() == wanted), None)


def adopt_instructions(name: str, organization_id: str) -> str:
    """The exact ways to bring an existing organization under this resource."""
    return (
        f"To manage that organization with this resource, adopt it: add adopt_id={organization_id!r} to the "
        f"resource's arguments (or generate the code with: polytomic-pulumi generate --name-filter {name!r}) "
        f"and run 'pulumi up' again. If an interrupted 'pulumi up' of this stack made it, run "
        f"'polytomic-pulumi recover --stack <stack>' instead: it adopts only what that run provably created"
    )


async def name_taken_message(
    client: AsyncPolytomicClient,
    name: str,
    *,
    cause: PolytomicError,
    own_id: str | None = None,
    replacing: bool = False,
    adopt: Callable[[str, str], str] = adopt_instructions,
) -> str:
    """Why a create or rename was refused, naming the organization that holds the name when there is one;
    `adopt` words the way to take it over in the caller's front end."""
    try:
        holder = await find_by_name(client, name)
    except PolytomicError:
        holder = None
    if holder is None or holder.id == own_id:
        return f"{cause} (no other organization named {name!r} is listed: try again, or check the name)"
    if replacing:
        # Never advise adoption here: the holder is most likely the organization being replaced, and
        # adopting it would have the engine delete it right after.
        return (
            f"this create replaces the resource's organization, and the name {name!r} is still held "
            f"(id {holder.id}, most likely the organization being replaced): names are unique, so a "
            f"replacement that keeps its name is made after the old organization is deleted. Remove "
            f"delete_before_replace=False from this resource (replacements delete first by default), "
            f"or give the replacement another name"
        )
    if own_id is None:
        return (
            f"an organization named {name!r} already exists in the partner account (id {holder.id}), and "
            f"nothing proves it belongs to this stack, so it is left alone. "
            f"{adopt(name, holder.id)}"
        )
    return (
        f"the name {name!r} is already used by another organization (id {holder.id}); names are unique "
        f"across the partner account: choose another name for this one"
    )
