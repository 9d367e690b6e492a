"""The `UserApiKey` resource (an API key minted for a user) and its arguments, as a Pulumi program uses
them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from .fields import ACCOUNT, CREATE_KEY
from .user_api_key_fields import API_KEY_INPUTS, SECRET_OUTPUTS, VALUE
from .user_api_key_provider import UserApiKeyProvider

__all__ = ["UserApiKey", "UserApiKeyArgs"]

_PROVIDER = UserApiKeyProvider()
_BOOKKEEPING = [CREATE_KEY, ACCOUNT]


@dataclass(frozen=True, kw_only=True)
class UserApiKeyArgs:
    """An API key of a user, minted once and kept only in the stack's encrypted state.

    :param organization_id: The organization's id (an ``Organization``'s ``id``).
    :param user_id: The user's id (a ``User``'s ``id``). The key acts as an organization-scoped key.
    :param keepers: Arbitrary strings; changing any of them rotates the key (a new key is minted with
        ``force``, which revokes the old one). Another ``organization_id`` or ``user_id`` mints a new key too.
    :param force: Let the first mint revoke keys of the user that this stack did not mint (default: never).
        Read only when the key is first minted.
    """

    organization_id: pulumi.Input[str]
    user_id: pulumi.Input[str]
    keepers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    force: pulumi.Input[bool] | None = None


class UserApiKey(pulumi.dynamic.Resource, module="polytomic", name="UserApiKey"):
    """An API key of a Polytomic user (type `pulumi-python:dynamic/polytomic:UserApiKey`).

    `value` is always a secret. Deleting the resource revokes nothing (the API has no such call): the key
    works until the user is deleted or a forced mint (a rotation) replaces it.
    """

    organization_id: pulumi.Output[str]
    user_id: pulumi.Output[str]
    keepers: pulumi.Output[dict[str, str]]
    force: pulumi.Output[bool]
    value: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: UserApiKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {name: getattr(args, name) for name in API_KEY_INPUTS}
        props[VALUE] = None  # an output: declared so that `self.value` resolves
        merged = pulumi.ResourceOptions.merge(
            opts,
            pulumi.ResourceOptions(
                ignore_changes=_BOOKKEEPING, additional_secret_outputs=list(SECRET_OUTPUTS)
            ),
        )
        super().__init__(_PROVIDER, resource_name, props, merged)
