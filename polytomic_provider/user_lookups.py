"""Read-only lookups of an organization's users, following Pulumi's `get_*` convention (as lookups.py does
for organizations, with the same configuration and the same shared client).

    from polytomic_provider import get_user

    jane = get_user(organization_id=org_id, email="jane@example.com")
    pulumi.export("jane_id", jane.id)

A lookup never changes anything and adds nothing to the stack; to manage a user it finds, give its id as
`adopt_id` to a `User`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from . import bridge
from .errors import NotFound, PolytomicError
from .hints import hint_for
from .lookups import _shared_client
from .user_models import User

__all__ = [
    "UserLookupError",
    "UserResult",
    "get_user",
    "get_user_output",
    "get_users",
    "get_users_output",
]


class UserLookupError(PolytomicError):
    """A user lookup found nothing, or the API refused it; the message says which and what to do."""


@dataclass(frozen=True)
class UserResult:
    """What the API tells about a user (its email as the API stores it: lower-cased)."""

    id: str
    email: str
    organization_id: str
    role: str | None
    role_ids: list[str]


def _result(user: User) -> UserResult:
    return UserResult(
        id=user.id,
        email=user.email,
        organization_id=user.organization_id,
        role=user.role,
        role_ids=list(user.role_ids or []),
    )


def _failure(error: PolytomicError, what: str) -> UserLookupError:
    url = _shared_client().settings.deployment_url
    return UserLookupError(f"{what} failed: {hint_for(error, url, 'read the users of organizations')}")


def get_users(*, organization_id: str) -> list[UserResult]:
    """Every user of the organization, in the order the API lists them."""
    try:
        listed = bridge.run(_shared_client().list_users(organization_id))
    except NotFound:
        raise UserLookupError(
            f"get_users: no organization with id {organization_id!r} in the partner account: check the id"
        ) from None
    except PolytomicError as error:
        raise _failure(error, f"get_users(organization_id={organization_id!r})") from None
    return [_result(user) for user in listed]


def get_user(*, organization_id: str, id: str | None = None, email: str | None = None) -> UserResult:
    """The user of the organization with this id, or with this email (compared ignoring case, as the API
    keeps emails unique). Raises UserLookupError when there is none."""
    if (id is None) == (email is None):
        raise ValueError("get_user takes exactly one of id or email")
    if email is None:
        try:
            return _result(bridge.run(_shared_client().get_user(organization_id, str(id))))
        except NotFound:
            raise UserLookupError(
                f"get_user: no user with id {id!r} in organization {organization_id}: check both ids"
            ) from None
        except PolytomicError as error:
            raise _failure(error, f"get_user(id={id!r})") from None
    found = [user for user in get_users(organization_id=organization_id) if user.email == email.lower()]
    if not found:
        raise UserLookupError(f"get_user: no user with email {email!r} in organization {organization_id}")
    return found[0]


def get_user_output(
    *,
    organization_id: pulumi.Input[str],
    id: pulumi.Input[str] | None = None,
    email: pulumi.Input[str] | None = None,
) -> pulumi.Output[UserResult]:
    """`get_user` for Inputs: the lookup runs once they are known."""
    if (id is None) == (email is None):
        raise ValueError("get_user_output takes exactly one of id or email")
    return pulumi.Output.all(organization_id, id, email).apply(
        lambda values: get_user(organization_id=values[0], id=values[1], email=values[2])
    )


def get_users_output(*, organization_id: pulumi.Input[str]) -> pulumi.Output[list[UserResult]]:
    """`get_users` for an Input organization id."""
    return pulumi.Output.from_input(organization_id).apply(lambda value: get_users(organization_id=value))
