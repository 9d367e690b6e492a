"""What to say when a name belongs to an organization this stack cannot prove is its own.

Ownership is never inferred from a name. When the API refuses a name because another organization holds
it, the provider stops and names that organization's id with the two ways to take it over explicitly:
`adopt_id` (the user names it), or `polytomic-pulumi recover` (the stack's own pending create proves it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import PolytomicError
from .frontend import shown_name

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .frontend import Frontend
    from .models import Organization

__all__ = ["REPLACEMENT_DELETES_FIRST", "find_by_name", "name_taken_message", "same_name"]

REPLACEMENT_DELETES_FIRST = True
"""A replacement deletes the old organization before it creates the new one, in both front ends (the
dynamic `Organization` unless told otherwise; the plugin's diff always): names are unique across the
partner account, so a new organization under the same name cannot exist beside the old one."""


def same_name(listed: str, wanted: str) -> bool:
    """The one rule for matching names: exact, case included, surrounding whitespace ignored (the API
    keeps names unique by their trimmed form)."""
    return listed.strip() == wanted.strip()


async def find_by_name(client: AsyncPolytomicClient, name: str) -> Organization | None:
    """The organization holding `name` (names are unique across a partner account), if the list shows one."""
    return next((o for o in await client.list_organizations() if same_name(o.name, name)), None)


async def name_taken_message(
    client: AsyncPolytomicClient,
    name: str,
    *,
    cause: PolytomicError,
    frontend: Frontend,
    own_id: str | None = None,
    replacing: bool = False,
    secrets: Iterable[str | None] = (),
) -> str:
    """Why a create or rename was refused, scrubbed: the holder's id comes from the server (#27 hardening
    finding 3, the one rule for messages quoting what the server returned), of `secrets` the call sent too
    (its client_secret: a server may echo it)."""
    return client.scrub(
        await _name_taken(client, name, cause=cause, frontend=frontend, own_id=own_id, replacing=replacing),
        secrets=secrets,
    )


async def _name_taken(
    client: AsyncPolytomicClient,
    name: str,
    *,
    cause: PolytomicError,
    frontend: Frontend,
    own_id: str | None = None,
    replacing: bool = False,
) -> str:
    """Why a create or rename was refused, naming the organization that holds the name when there is one,
    with the ways out worded for the caller's front end."""
    quoted = shown_name(name)
    try:
        holder = await find_by_name(client, name)
    except PolytomicError:
        holder = None
    if holder is None or holder.id == own_id:
        return f"{cause} (no other organization named {quoted} is listed: try again, or check the name)"
    if replacing:
        # Never advise adoption here: the holder is most likely the organization being replaced, and
        # adopting it would have the engine delete it right after.
        return (
            f"this create replaces the resource's organization, and the name {quoted} is still held "
            f"(id {holder.id}, most likely the organization being replaced): names are unique, so a "
            f"replacement that keeps its name is made after the old organization is deleted: "
            f"{frontend.delete_first}, or give the replacement another name"
        )
    if own_id is None:
        # The engine re-checks a replacement as a new resource, so this may also be a create-first
        # replacement whose old organization still holds the name: both ways out are named.
        return (
            f"an organization named {quoted} already exists in the partner account (id {holder.id}), and "
            f"nothing proves it belongs to this stack, so it is left alone. If this create replaces this "
            f"same resource ('pulumi up --replace', a replace-on-changes property, another provider), "
            f"that is the organization being replaced, still holding the name: {frontend.delete_first}, "
            f"or give the replacement another name. Otherwise: {frontend.adopt(name, holder.id)}"
        )
    return (
        f"the name {quoted} is already used by another organization (id {holder.id}); names are unique "
        f"across the partner account: choose another name for this one"
    )
