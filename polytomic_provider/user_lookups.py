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
from typing import TYPE_CHECKING

import pulumi

from . import bridge
from .errors import NotFound, PolytomicError
from .hints import hint_for
from .lookups import _shared_client
from .user_models import User

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient

__all__ = [
    "UserLookupError",
    "UserResult",
    "get_user",
    "get_user_output",
    "get_users",
    "get_users_output",
    "user_of",
    "users_of",
    "which_user_problem",
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


def _failure(error: PolytomicError, what: str, client: AsyncPolytomicClient) -> UserLookupError:
    url = client.settings.deployment_url
    return UserLookupError(f"{what} failed: {hint_for(error, url, 'read the users of organizations')}")


def which_user_problem(function: str, user_id: object, email: object) -> str | None:
    """What is wrong with the arguments of a lookup of one user (every front end's), if anything."""
    if (user_id is None) == (email is None):
        return f"{function} takes exactly one of id or email"
    return None


def _refuse_bad_ids(function: str, **ids: object) -> None:
    """Ids go into the request's path: anything but a UUID (`../`, an empty string) is refused, naming the
    argument, before any request."""
    from .user_models import is_uuid

    for argument, value in ids.items():
        if value is not None and not (isinstance(value, str) and is_uuid(value)):
            raise UserLookupError(
                f"{function}: {argument} {value!r} is not an id: give a UUID such as "
                f"248df4b7-aa70-47b8-a036-33ac447e668d"
            )


async def users_of(client: AsyncPolytomicClient, organization_id: str) -> list[UserResult]:
    """Every user of the organization, in the order the API lists them (both front ends' lookup)."""
    _refuse_bad_ids("get_users", organization_id=organization_id)
    try:
        listed = await client.list_users(organization_id)
    except NotFound:
        raise UserLookupError(
            f"get_users: no organization with id {organization_id!r} in the partner account: check the id"
        ) from None
    except PolytomicError as error:
        raise _failure(error, f"get_users(organization_id={organization_id!r})", client) from None
    return [_result(user) for user in listed]


async def user_of(
    client: AsyncPolytomicClient, organization_id: str, *, id: str | None = None, email: str | None = None
) -> UserResult:
    """The user with this id, or with this email (compared ignoring case, as the API keeps emails unique);
    `which_user_problem` has checked that exactly one is given."""
    _refuse_bad_ids("get_user", organization_id=organization_id, id=id)
    if email is None:
        try:
            return _result(await client.get_user(organization_id, str(id)))
        except NotFound:
            raise UserLookupError(
                f"get_user: no user with id {id!r} in organization {organization_id}: check both ids"
            ) from None
        except PolytomicError as error:
            raise _failure(error, f"get_user(id={id!r})", client) from None
    found = [user for user in await users_of(client, organization_id) if user.email == email.lower()]
    if not found:
        raise UserLookupError(f"get_user: no user with email {email!r} in organization {organization_id}")
    return found[0]


def get_users(*, organization_id: str) -> list[UserResult]:
    """Every user of the organization, in the order the API lists them."""
    return bridge.run(users_of(_shared_client(), organization_id))


def get_user(*, organization_id: str, id: str | None = None, email: str | None = None) -> UserResult:
    """The user of the organization with this id, or with this email (compared ignoring case, as the API
    keeps emails unique). Raises UserLookupError when there is none."""
    problem = which_user_problem("get_user", id, email)
    if problem is not None:
        raise ValueError(problem)
    return bridge.run(user_of(_shared_client(), organization_id, id=id, email=email))


def get_user_output(
    *,
    organization_id: pulumi.Input[str],
    id: pulumi.Input[str] | None = None,
    email: pulumi.Input[str] | None = None,
) -> pulumi.Output[UserResult]:
    """`get_user` for Inputs: the lookup runs once they are known."""
    problem = which_user_problem("get_user_output", id, email)
    if problem is not None:
        raise ValueError(problem)
    return pulumi.Output.all(organization_id, id, email).apply(
        lambda values: get_user(organization_id=values[0], id=values[1], email=values[2])
    )


def get_users_output(*, organization_id: pulumi.Input[str]) -> pulumi.Output[list[UserResult]]:
    """`get_users` for an Input organization id."""
    return pulumi.Output.from_input(organization_id).apply(lambda value: get_users(organization_id=value))
