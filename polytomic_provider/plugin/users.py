"""The plugin's `polytomic:index:User` and its two functions, adapted onto the User's core.

Every rule (validation, the diff and what replaces a user, the create key, ownership, what a failure
says) is user_operations.py's and user_lookups.py's, as the dynamic `User` runs them; this module only turns
the engine's PropertyValues (camelCase: `organizationId`, `roleIds`) into the core's dicts and back, and
words the way to adopt a user as the plugin's users take one over: `pulumi import`. A user's resource id
is its own id (a UUID, as the API and the dynamic `User` have it); an import names it with its
organization, `<organization id>/<user id>` or `<organization id>/<email>`, and is stored under that id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue

from .. import user_operations
from ..config import CONFIG_NAMESPACE
from ..fields import ADOPT_ID
from ..frontend import PLUGIN, USER_PLUGIN_TYPE, camel_case
from ..problems import Problem
from ..user_fields import USER_FIELDS
from .checks import ClientOf, problems_after_account_check
from .diffs import diff_response, without_ignored
from .properties import engine_value, from_engine, is_unknown, secret_keys, to_engine
from .schema import PACKAGE

if TYPE_CHECKING:
    from ..client import AsyncPolytomicClient
    from ..runtime import ProviderRuntime

__all__ = ["FUNCTIONS", "GET_USER", "GET_USERS", "USER", "check", "create", "delete", "diff", "invoke"]

USER = USER_PLUGIN_TYPE
GET_USER = f"{PACKAGE}:index:getUser"
GET_USERS = f"{PACKAGE}:index:getUsers"
FUNCTIONS = (GET_USER, GET_USERS)
IMPORT_COMMAND = f"pulumi import {USER} <resource name> <organization id>/<user id>"

_SCHEMA_PROPERTIES = {camel_case(field) for field in USER_FIELDS}


def _is_foreign(key: str) -> bool:
    """An input the schema does not have that the core would take for its own: a field in Python spelling
    (`role_ids`), the dynamic `User`'s `adopt_id`, a bookkeeping key (`__create_key`, `__role_ids`)."""
    if key in _SCHEMA_PROPERTIES:
        return False
    return key in USER_FIELDS or key == ADOPT_ID or key.startswith("__")


def _foreign_reason(name: str) -> str:
    if name in USER_FIELDS:
        return f"{name} is not a property of User: write it {camel_case(name)}"
    if name == ADOPT_ID:
        return f"{name} is not a property of User: to take over an existing user, run '{IMPORT_COMMAND}'"
    return f"{name} is not a property of User: leave it out"


def _shown_property(name: str) -> str:
    """The property a failure names, in the schema's spelling: only the schema's own (or a setting), since
    the engine prints the value beside it and an unknown input could be anything."""
    spelled = camel_case(name) if name in USER_FIELDS else name
    if spelled in _SCHEMA_PROPERTIES or spelled.startswith(f"{CONFIG_NAMESPACE}:"):
        return spelled
    return ""


def _failures(problems: list[Problem]) -> list[rpc.CheckFailure]:
    return [rpc.CheckFailure(_shown_property(p.property), PLUGIN.spell_user(p.reason)) for p in problems]


def _props(values: dict[str, PropertyValue]) -> dict[str, Any]:
    return from_engine(values, USER_FIELDS)


def _engine(
    values: dict[str, Any], sent: dict[str, PropertyValue], *, originals: bool = False
) -> dict[str, PropertyValue]:
    """The core's dict as the engine's properties; a value the program marked secret stays secret."""
    secrets = secret_keys(sent, USER_FIELDS)
    return to_engine(values, secrets=secrets, originals=sent if originals else None, fields=USER_FIELDS)


async def check(request: rpc.CheckRequest, runtime: ProviderRuntime, client: ClientOf) -> rpc.CheckResponse:
    """Validate before any request (the core's rules, spelt as the schema spells them), then resolve the
    role and record the account once the inputs are sound."""
    foreign = [key for key in request.new_inputs if _is_foreign(key)]
    wanted = {key: value for key, value in request.new_inputs.items() if key not in foreign}
    olds, news = _props(request.old_inputs), _props(wanted)
    checked, found = user_operations.check(
        olds, news, unknown=is_unknown, problems=runtime.problems(), operation=runtime.operation
    )
    # Not spelt again: their reasons name the Python spelling on purpose.
    refused = [rpc.CheckFailure("", _foreign_reason(name)) for name in foreign]
    problems = await problems_after_account_check(
        found,
        client,
        lambda built: user_operations.check_account(
            built, olds, checked, unknown=is_unknown, operation=runtime.operation, urn=request.urn
        ),
        refused=bool(refused),
    )
    inputs = _engine(checked, request.new_inputs, originals=True)
    return rpc.CheckResponse(inputs=inputs, failures=refused + _failures(problems))


def _diff_kind(
    olds: dict[str, Any], news: dict[str, Any], field: str, replaces: bool
) -> rpc.PropertyDiffKind:
    kind = rpc.PropertyDiffKind
    if olds.get(field) is None:
        return kind.ADD_REPLACE if replaces else kind.ADD
    if news.get(field) is None:
        return kind.DELETE_REPLACE if replaces else kind.DELETE
    return kind.UPDATE_REPLACE if replaces else kind.UPDATE


def diff(request: rpc.DiffRequest, runtime: ProviderRuntime) -> rpc.DiffResponse:
    """The changed fields, each marked (`[diff: ~roleIds]`); another organization or another address
    (letter case aside) replaces the user, creating the new one first: an email is unique only within
    its organization, and a new address never collides with the old user's."""
    olds, news = _props(request.old_state), _props(request.new_inputs)
    user_operations.hold_in_stack(runtime.operation, request.resource_id, olds, request.urn)
    changed, replaces = without_ignored(
        *user_operations.diff(olds, news, unknown=is_unknown), USER_FIELDS, request.ignore_changes
    )
    user_operations.note_diff(runtime.operation, request.resource_id, olds, replaces)
    return diff_response(changed, replaces, lambda field: _diff_kind(olds, news, field, field in replaces))


async def create(
    request: rpc.CreateRequest, runtime: ProviderRuntime, client: ClientOf
) -> rpc.CreateResponse:
    """One POST under the create key `check` drew (one invitation however often it is retried)."""
    user_id, outs = await user_operations.create(
        await client(), _props(request.properties), operation=runtime.operation, frontend=PLUGIN
    )
    return rpc.CreateResponse(user_id, _engine(outs, request.properties))


async def read(request: rpc.ReadRequest, client: ClientOf) -> rpc.ReadResponse:
    """Refresh (the stored outputs come along) or import (nothing but the id the user named, which
    names the organization too; the user is then stored under its own id). The read claims and holds
    nothing: the engine reads a `get` reference exactly as an import, and a `get` owns nothing. An
    `import` option is diffed after its read (`hold_in_stack`, under the importing resource's URN); a CLI
    `pulumi import` runs no diff and no delete."""
    built = await client()
    props, user_id = _props(request.properties), request.resource_id
    if not request.properties:
        organization_id, user_id = await user_operations.import_target(built, request.resource_id)
        props = {"organization_id": organization_id}
    found = await user_operations.read(built, user_id, props, urn=request.urn)
    if found is None:
        return rpc.ReadResponse(resource_id=None, properties={}, inputs={})
    outs, inputs = found
    return rpc.ReadResponse(
        resource_id=user_id,
        properties=_engine(outs, request.properties),
        # As stored: the engine's own inputs back (an empty map would replace them with nothing).
        inputs=request.inputs if inputs is None else _engine(inputs, request.properties),
    )


async def update(request: rpc.UpdateRequest, client: ClientOf) -> rpc.UpdateResponse:
    """One PUT of the whole payload (email and every role id)."""
    outs = await user_operations.update(
        await client(), request.resource_id, _props(request.news), olds=_props(request.olds)
    )
    return rpc.UpdateResponse(_engine(outs, request.news))


async def delete(request: rpc.DeleteRequest, runtime: ProviderRuntime, client: ClientOf) -> None:
    """Partner-level DELETE; a user this operation made or adopted, or another resource keeps, is spared
    (the core's claims; the create key the outputs record tells this resource from the one that keeps it)."""
    await user_operations.delete(
        await client(), request.resource_id, _props(request.properties), operation=runtime.operation
    )


def _user_result(user: Any) -> dict[str, PropertyValue]:
    """A `UserResult` in the schema's spelling."""
    values = {
        "id": user.id,
        "email": user.email,
        "organizationId": user.organization_id,
        "role": user.role,
        "roleIds": list(user.role_ids),
    }
    return {key: engine_value(value) for key, value in values.items()}


async def invoke(
    token: str, args: dict[str, PropertyValue], client: AsyncPolytomicClient
) -> rpc.InvokeResponse:
    """getUser (organizationId with id or email) and getUsers (organizationId), over user_lookups."""
    from .. import user_lookups

    given = _props(args)
    organization_id = given.get("organization_id")
    if not isinstance(organization_id, str) or not organization_id:
        reason = f"{token.rsplit(':', 1)[1]} needs organizationId, the id of the users' organization"
        return rpc.InvokeResponse(failures=[rpc.CheckFailure("organizationId", reason)])
    if token == GET_USERS:
        listed = await user_lookups.users_of(client, organization_id)
        return rpc.InvokeResponse(return_value={"users": PropertyValue([_as_map(u) for u in listed])})
    user_id, email = given.get("id"), given.get("email")
    problem = user_lookups.which_user_problem("getUser", user_id, email)
    if problem is not None:
        return rpc.InvokeResponse(failures=[rpc.CheckFailure("id", problem)])
    found = await user_lookups.user_of(
        client,
        organization_id,
        id=None if user_id is None else str(user_id),
        email=None if email is None else str(email),
    )
    return rpc.InvokeResponse(return_value=_user_result(found))


def _as_map(user: Any) -> PropertyValue:
    return PropertyValue(_user_result(user))
