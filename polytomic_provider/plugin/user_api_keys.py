"""The plugin's `polytomic:index:UserApiKey`, adapted onto the key's core (user_api_key_operations.py).

Every rule (validation, what replaces a key, the mint's Idempotency-Key, when a mint may revoke, refresh
and delete) is the core's, as the dynamic `UserApiKey` runs it; this module turns the engine's
PropertyValues (camelCase: `organizationId`, `userId`) into the core's dicts and back, marks `value` a
secret in every answer that carries it, and words the core's messages in the schema's spelling. The key
itself is never put in a message: the core never puts it in one, and a failure never names `value`, so
the engine prints no value beside it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue

from .. import user_api_key_operations as ops
from ..config import CONFIG_NAMESPACE
from ..frontend import USER_API_KEY_PLUGIN_TYPE, camel_case
from ..problems import Problem
from ..user_api_key_fields import API_KEY_INPUTS, API_KEY_OUTPUTS, SECRET_OUTPUTS
from .checks import ClientOf, problems_after_account_check
from .diffs import diff_response, without_ignored
from .properties import from_engine, is_unknown, secret_keys, to_engine

if TYPE_CHECKING:
    from ..runtime import ProviderRuntime

__all__ = ["USER_API_KEY", "check", "create", "delete", "diff", "read", "spell", "update"]

USER_API_KEY = USER_API_KEY_PLUGIN_TYPE

_SCHEMA_INPUTS = {camel_case(name) for name in API_KEY_INPUTS}
_SCHEMA_PROPERTIES = {camel_case(name) for name in API_KEY_OUTPUTS}
# The core's words for a Python program, and the schema's (longest first: one may contain another).
_SPELLINGS = (
    ("get_users(organization_id=...)", "getUsers(organizationId)"),
    ("add force=True to the UserApiKeyArgs", "set force: true on the UserApiKey"),
    ("force=True", "force: true"),
    ("True or False", "true or false"),
    ("{'rotated': '2026-12'}", "{rotated: '2026-12'}"),
    *((name, camel_case(name)) for name in API_KEY_OUTPUTS if camel_case(name) != name),
)


def spell(text: str) -> str:
    """A core message in the schema's spelling (`userId`, `force: true`)."""
    for python, schema in _SPELLINGS:
        text = text.replace(python, schema)
    return text


def _is_foreign(key: str) -> bool:
    """An input the schema does not have that the core would take for its own: a property in Python
    spelling (`user_id`) or a bookkeeping key (`__create_key`)."""
    if key in _SCHEMA_PROPERTIES:
        return False
    return key in API_KEY_OUTPUTS or key.startswith("__")


def _foreign_reason(name: str) -> str:
    if name in API_KEY_OUTPUTS:
        return f"{name} is not a property of UserApiKey: write it {camel_case(name)}"
    return f"{name} is not a property of UserApiKey: leave it out"


def _shown_property(name: str) -> str:
    """The property a failure names: an input of the schema only (or a setting). The engine prints the
    value beside a named property, so `value` (the key) and an input the schema does not have are never
    named; the reason names them already."""
    if name.startswith(f"{CONFIG_NAMESPACE}:"):
        return name
    spelled = camel_case(name)
    return spelled if spelled in _SCHEMA_INPUTS else ""


def _failures(problems: list[Problem]) -> list[rpc.CheckFailure]:
    return [rpc.CheckFailure(_shown_property(p.property), spell(p.reason)) for p in problems]


def _props(values: dict[str, PropertyValue]) -> dict[str, Any]:
    return from_engine(values, API_KEY_OUTPUTS)


def _engine(
    values: dict[str, Any], sent: dict[str, PropertyValue], *, originals: bool = False
) -> dict[str, PropertyValue]:
    """The core's dict as the engine's properties: `value` always a secret, and a value the program
    marked secret stays one."""
    secrets = secret_keys(sent, API_KEY_OUTPUTS) | set(SECRET_OUTPUTS)
    converted = to_engine(
        values, secrets=secrets, originals=sent if originals else None, fields=API_KEY_OUTPUTS
    )
    return {
        key: value.with_secret(True) if key in {camel_case(s) for s in SECRET_OUTPUTS} else value
        for key, value in converted.items()
    }


async def _spelt(call: Awaitable[Any]) -> Any:
    """Await a core call, its failure worded in the schema's spelling."""
    try:
        return await call
    except ops.UserApiKeyError as error:
        raise ops.UserApiKeyError(spell(str(error))) from None


async def check(request: rpc.CheckRequest, runtime: ProviderRuntime, client: ClientOf) -> rpc.CheckResponse:
    """Validate before any request (the core's rules, spelt as the schema spells them), then record the
    account and prove a new key's user exists once the inputs are sound."""
    foreign = [key for key in request.new_inputs if _is_foreign(key)]
    wanted = {key: value for key, value in request.new_inputs.items() if key not in foreign}
    olds, news = _props(request.old_inputs), _props(wanted)
    checked, found = ops.check(
        olds, news, unknown=is_unknown, problems=runtime.problems(), operation=runtime.operation
    )
    refused = [rpc.CheckFailure("", _foreign_reason(name)) for name in foreign]
    problems = await problems_after_account_check(
        found,
        client,
        lambda built: ops.check_account(built, olds, checked, unknown=is_unknown),
        refused=bool(refused),
    )
    inputs = _engine(checked, request.new_inputs, originals=True)
    return rpc.CheckResponse(inputs=inputs, failures=refused + _failures(problems))


def diff(request: rpc.DiffRequest, runtime: ProviderRuntime) -> rpc.DiffResponse:
    """The changed inputs, each marked; every one of them mints a new key (created before the old one is
    forgotten), and `force` alone is no change (it is read at the first mint only)."""
    olds, news = _props(request.old_state), _props(request.new_inputs)
    changed, replaces = without_ignored(
        *ops.diff(olds, news, unknown=is_unknown), API_KEY_INPUTS, request.ignore_changes
    )
    ops.note_diff(runtime.operation, request.resource_id, olds, replaces)
    kind = rpc.PropertyDiffKind
    return diff_response(
        changed,
        replaces,
        lambda name: kind.ADD_REPLACE if olds.get(name) in (None, {}) else kind.UPDATE_REPLACE,
    )


async def create(
    request: rpc.CreateRequest, runtime: ProviderRuntime, client: ClientOf
) -> rpc.CreateResponse:
    """One mint under the Idempotency-Key `check` drew; the key comes back in `value`, a secret."""
    id_, outs = await _spelt(
        ops.create(await client(), _props(request.properties), operation=runtime.operation)
    )
    return rpc.CreateResponse(id_, _engine(outs, request.properties))


async def read(request: rpc.ReadRequest, client: ClientOf) -> rpc.ReadResponse:
    """Refresh keeps the stored outputs (the API never shows a key again), or drops the key when its user
    is gone in the account that recorded it; an import (no stored outputs) is refused by the core."""
    found = await _spelt(ops.read(await client(), request.resource_id, _props(request.properties)))
    if found is None:
        return rpc.ReadResponse(resource_id=None, properties={}, inputs={})
    outs, _ = found
    return rpc.ReadResponse(
        resource_id=request.resource_id,
        properties=_engine(outs, request.properties),
        inputs=request.inputs,  # as stored: the engine's own inputs back
    )


async def update(request: rpc.UpdateRequest, client: ClientOf) -> rpc.UpdateResponse:
    """Nothing is sent: the stored outputs, with the new `force`."""
    outs = await ops.update(
        await client(), request.resource_id, _props(request.news), olds=_props(request.olds)
    )
    return rpc.UpdateResponse(_engine(outs, request.olds))


async def delete(request: rpc.DeleteRequest, client: ClientOf) -> None:
    """Nothing is sent: the API has no call that revokes one key (see user_api_key_operations.delete)."""
    await ops.delete(await client(), request.resource_id, _props(request.properties))
