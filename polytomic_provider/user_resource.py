"""The `User` resource (a user of an organization) and its arguments, as a Pulumi program uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from .fields import ACCOUNT, ADOPT_ID, CREATE_KEY
from .user_fields import RESOLVED_ROLE_IDS, USER_FIELDS
from .user_provider import UserProvider

__all__ = ["User", "UserArgs"]

_PROVIDER = UserProvider()
# Bookkeeping inputs, not fields: kept out of the diffs the engine shows.
_BOOKKEEPING = [CREATE_KEY, ACCOUNT, RESOLVED_ROLE_IDS]


@dataclass(frozen=True, kw_only=True)
class UserArgs:
    """A user of a Polytomic organization; creating one sends the address an invitation.

    :param organization_id: The organization's id (an ``Organization``'s ``id``); another replaces the user.
    :param email: Sign-in address. A change of letter case is no change; another address replaces the user.
    :param role: A role's name, such as ``"Admin"`` or ``"Member"`` (any case), resolved to its id.
    :param role_ids: The role ids to assign, instead of ``role``. Give one of the two, or neither for Admin.
    :param adopt_id: Id of an existing user of the organization to bring under management instead of
        creating one. Only read when the resource is first created; ``ResourceOptions(import_=id)`` means
        the same.
    """

    organization_id: pulumi.Input[str]
    email: pulumi.Input[str]
    role: pulumi.Input[str] | None = None
    role_ids: pulumi.Input[list[pulumi.Input[str]]] | None = None
    adopt_id: pulumi.Input[str] | None = None


class User(pulumi.dynamic.Resource, module="polytomic", name="User"):
    """A user of a Polytomic organization (type `pulumi-python:dynamic/polytomic:User`).

    Every update sends the whole payload (email and every role id): the assignment is replaced in full.
    """

    organization_id: pulumi.Output[str]
    email: pulumi.Output[str]
    role: pulumi.Output[str | None]
    role_ids: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: UserArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        adopt_id = args.adopt_id
        if opts is not None and opts.import_:  # the engine's import cannot reach a dynamic provider
            adopt_id = adopt_id if adopt_id is not None else opts.import_
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions())
            opts.import_ = None
        props: dict[str, Any] = {field: getattr(args, field) for field in USER_FIELDS}
        props[ADOPT_ID] = adopt_id
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=_BOOKKEEPING))
        super().__init__(_PROVIDER, resource_name, props, merged)
