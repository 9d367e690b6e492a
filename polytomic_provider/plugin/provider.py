"""PolytomicProvider: the engine's provider protocol, adapted onto the core.

One instance serves one provider configuration (the default provider, or one `polytomic.Provider`
resource), so it holds its own settings and client in a `ProviderRuntime` of its own: two partner
accounts in one program never share a key. Every method awaits the core directly on the server's event
loop, so the engine's `--parallel` calls run at once over one shared `httpx.AsyncClient`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.provider.experimental import provider as rpc

from .. import operations, queries
from ..config import CONFIG_NAMESPACE, ConfigLookup, check_settings
from ..fields import ADOPT_ID, FIELDS, SECRET_FIELDS
from ..frontend import NAME_IS_SECRET, PLUGIN, PLUGIN_TYPE, camel_case
from ..ownership import REPLACEMENT_DELETES_FIRST
from ..problems import Problem
from ..runtime import ProviderRuntime
from ..warmup import start_prewarm
from . import user_api_keys, users
from .checks import problems_after_account_check
from .engine_log import CURRENT_URN
from .properties import UNKNOWN, engine_value, from_engine, is_unknown, secret_keys, snake_case, to_engine
from .schema import PACKAGE, build_schema

if TYPE_CHECKING:  # httpx and pydantic load after the plugin has told the engine its port (warmup.py)
    from ..client import AsyncPolytomicClient
    from ..models import Organization

__all__ = ["ORGANIZATION", "PACKAGE", "PolytomicProvider", "schema"]

ORGANIZATION = PLUGIN_TYPE
GET_ORGANIZATION = f"{PACKAGE}:index:getOrganization"
GET_ORGANIZATIONS = f"{PACKAGE}:index:getOrganizations"
GET_CURRENT_ORGANIZATION = f"{PACKAGE}:index:getCurrentOrganization"
SECRET_SETTING = "partnerKey"  # stored as a secret in the provider resource's state, however it was given


def schema() -> dict[str, Any]:
    """The package schema, written from the core's definitions (schema.py)."""
    return build_schema()


def _folded(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


# The engine prints a failure as "property P value {V} has a problem: R", V in clear text unless the
# program marked it secret. For a secret by nature, and for every provider setting (a key, a URL with a
# password in it), the property is left out: R names it already, and V is never printed.
_SECRET_NAMES = {_folded(name) for name in (*SECRET_FIELDS, SECRET_SETTING)}
_SCHEMA_PROPERTIES = {camel_case(field) for field in FIELDS}


# Provider inputs the engine keeps for itself (older engines put the download URL and checksums at the top).
_ENGINE_INPUTS = frozenset({"version", "pluginDownloadURL", "pluginChecksums"})


def _shown_property(name: str) -> str:
    """The property a failure names: only the schema's own, and never a secret one. The engine prints the
    value beside a named property, in clear unless the program marked it secret, and an input the schema
    does not have may be a secret under any spelling (`client_secret`, `clientSecrt`, `apiKey`); the reason
    names it already."""
    if name in _SCHEMA_PROPERTIES and _folded(name) not in _SECRET_NAMES:
        return name
    return "" if not name.startswith(f"{CONFIG_NAMESPACE}:") else name


def _is_foreign(key: str) -> bool:
    """An input the schema does not have that the core would take for its own: a field in Python spelling
    (`sso_domain`), the dynamic provider's `adopt_id`, a bookkeeping key (`__create_key`)."""
    if key in _SCHEMA_PROPERTIES:
        return False
    return key in FIELDS or key == ADOPT_ID or key.startswith("__")


def _serving(urn: str, *property_sets: Mapping[str, Any]) -> None:
    """Note, for this request's task, the resource it serves (engine log lines name it) and whether its
    name arrived as a secret (messages then never repeat it)."""
    CURRENT_URN.set(urn)
    NAME_IS_SECRET.set(any("name" in secret_keys(properties) for properties in property_sets))


def _failures(problems: list[Problem]) -> list[rpc.CheckFailure]:
    return [rpc.CheckFailure(_shown_property(problem.property), problem.reason) for problem in problems]


def _config_lookup(values: Mapping[str, Any]) -> ConfigLookup:
    """A settings lookup over provider inputs; a value not known yet counts as unset."""

    def lookup(key: str) -> str | None:
        value = values.get(key)
        if value is None or value is UNKNOWN:
            return None
        return f"{value:g}" if isinstance(value, float) else str(value)

    return lookup


def _organization_result(organization: Organization) -> dict[str, Any]:
    """What a lookup returns (`OrganizationResult` in the schema): client_id and the secret are write-only."""
    return {"id": organization.id, **{camel_case(k): v for k, v in organization.readable().items()}}


class PolytomicProvider(rpc.Provider):
    """`polytomic:index:Organization`, `polytomic:index:User` (plugin/users.py), their lookups and
    `polytomic:index:UserApiKey` (plugin/user_api_keys.py), for one partner account."""

    def __init__(self) -> None:
        self._runtime = ProviderRuntime()
        self._client_built: asyncio.Event | None = None

    # -- the provider's own configuration ------------------------------------------------------------

    async def get_schema(self, request: rpc.GetSchemaRequest) -> rpc.GetSchemaResponse:
        return rpc.GetSchemaResponse(json.dumps(schema()))

    async def check_config(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        """Reject a malformed or unknown setting at preview, naming it (an input the engine keeps for itself,
        `version` or `__internal`, is not the user's); a missing key is reported by each resource."""
        given = [key for key in request.new_inputs if key not in _ENGINE_INPUTS and not key.startswith("__")]
        _, problems = check_settings(_config_lookup(from_engine(request.new_inputs)), given=given)
        inputs = {
            key: value.with_secret(True) if key == SECRET_SETTING else value
            for key, value in request.new_inputs.items()
        }
        return rpc.CheckResponse(inputs=inputs, failures=[rpc.CheckFailure("", p.reason) for p in problems])

    async def configure(self, request: rpc.ConfigureRequest) -> rpc.ConfigureResponse:
        if request.args:
            values = from_engine(request.args)
        else:  # an engine that sends only the flat variables: "polytomic:config:partnerKey"
            prefix = f"{CONFIG_NAMESPACE}:config:"
            values = {k.removeprefix(prefix): v for k, v in request.variables.items() if k.startswith(prefix)}
        # Bad values are kept, not raised: `check` reports them, naming the setting, before any API call.
        self._runtime.configure_from(_config_lookup(values))
        # Build the client and import what calls need off the event loop, while the engine sends checks.
        loop, built = asyncio.get_running_loop(), asyncio.Event()
        self._client_built = built

        def client_built() -> None:
            loop.call_soon_threadsafe(built.set)

        start_prewarm(self._runtime, client_built)
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=False)

    async def _client(self) -> AsyncPolytomicClient:
        """The configuration's client, once the prewarm started by `configure` has built it (the models
        may still be loading: the first request is sent meanwhile)."""
        if self._client_built is not None:
            await self._client_built.wait()  # set however the prewarm ended: a failure is the call's to meet
        return self._runtime.client()

    # -- the resource --------------------------------------------------------------------------------

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        _serving(request.urn, request.new_inputs, request.old_inputs)
        if request.type == users.USER:
            return await users.check(request, self._runtime, self._client)
        if request.type == user_api_keys.USER_API_KEY:
            return await user_api_keys.check(request, self._runtime, self._client)
        foreign = [key for key in request.new_inputs if _is_foreign(key)]
        wanted = {key: value for key, value in request.new_inputs.items() if key not in foreign}
        olds, news = from_engine(request.old_inputs), from_engine(wanted)
        checked, problems = operations.check(
            olds,
            news,
            unknown=is_unknown,
            problems=self._runtime.problems(),
            operation=self._runtime.operation,
            frontend=PLUGIN,
            foreign=foreign,
        )
        problems = await problems_after_account_check(
            problems,
            self._client,
            lambda client: operations.check_account(
                client, olds, checked, operation=self._runtime.operation, frontend=PLUGIN, urn=request.urn
            ),
        )
        inputs = to_engine(checked, secrets=secret_keys(request.new_inputs), originals=request.new_inputs)
        return rpc.CheckResponse(inputs=inputs, failures=_failures(problems))

    async def diff(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        """The changed fields, each marked: the engine shows them, and `replaceOnChanges` matches them.

        A replacement deletes first (`ownership.REPLACEMENT_DELETES_FIRST`).
        """
        _serving(request.urn, request.old_state, request.new_inputs)
        if request.type == users.USER:
            return users.diff(request, self._runtime)
        if request.type == user_api_keys.USER_API_KEY:
            return user_api_keys.diff(request, self._runtime)
        olds, news = from_engine(request.old_state), from_engine(request.new_inputs)
        await operations.verify_account(
            await self._client(),
            request.resource_id,
            olds,
            operation=self._runtime.operation,
            frontend=PLUGIN,
            urn=request.urn,
        )
        # Only the schema's names: the engine has applied them to the inputs already. Another spelling
        # (`sso_domain`) matched nothing there, so honouring it here would hide a change `up` then sends.
        ignored = [snake_case(key) for key in request.ignore_changes if key in _SCHEMA_PROPERTIES]
        changed = operations.changed_fields(olds, news, unknown=is_unknown, ignore=ignored)
        detailed = {
            camel_case(field): rpc.PropertyDiff(_diff_kind(olds, news, field), False) for field in changed
        }
        return rpc.DiffResponse(
            changes=bool(changed),
            diffs=list(detailed),
            detailed_diff=detailed,
            delete_before_replace=REPLACEMENT_DELETES_FIRST,
        )

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        _serving(request.urn, request.properties)
        if request.type == users.USER:
            return await users.create(request, self._runtime, self._client)
        if request.type == user_api_keys.USER_API_KEY:
            return await user_api_keys.create(request, self._runtime, self._client)
        props = from_engine(request.properties)
        organization_id, outs = await operations.create(
            await self._client(), props, operation=self._runtime.operation, frontend=PLUGIN
        )
        return rpc.CreateResponse(organization_id, to_engine(outs, secrets=secret_keys(request.properties)))

    async def read(self, request: rpc.ReadRequest) -> rpc.ReadResponse:
        """Refresh (the stored outputs come along) or import (nothing but the id the user named)."""
        _serving(request.urn, request.properties, request.inputs)
        if request.type == users.USER:
            return await users.read(request, self._client)
        if request.type == user_api_keys.USER_API_KEY:
            return await user_api_keys.read(request, self._client)
        props = from_engine(request.properties)
        found = await operations.read(
            await self._client(),
            request.resource_id,
            props,
            inputs=from_engine(request.inputs),
            frontend=PLUGIN,
            urn=request.urn,
        )
        if found is None:
            return rpc.ReadResponse(resource_id=None, properties={}, inputs={})
        outs, inputs = found
        secrets = secret_keys(request.properties)
        return rpc.ReadResponse(
            resource_id=request.resource_id,
            properties=to_engine(outs, secrets=secrets),
            # As stored: the engine's own inputs back (an empty map would replace them with nothing).
            inputs=request.inputs if inputs is None else to_engine(inputs, secrets=secrets),
        )

    async def update(self, request: rpc.UpdateRequest) -> rpc.UpdateResponse:
        _serving(request.urn, request.news)
        if request.type == users.USER:
            return await users.update(request, self._client)
        if request.type == user_api_keys.USER_API_KEY:
            return await user_api_keys.update(request, self._client)
        news = from_engine(request.news)
        outs = await operations.update(
            await self._client(),
            request.resource_id,
            news,
            olds=from_engine(request.olds),
            frontend=PLUGIN,
        )
        return rpc.UpdateResponse(to_engine(outs, secrets=secret_keys(request.news)))

    async def delete(self, request: rpc.DeleteRequest) -> None:
        _serving(request.urn, request.properties)
        if request.type == users.USER:
            return await users.delete(request, self._runtime, self._client)
        if request.type == user_api_keys.USER_API_KEY:
            return await user_api_keys.delete(request, self._client)
        props = from_engine(request.properties)
        await operations.delete(
            await self._client(),
            request.resource_id,
            props,
            operation=self._runtime.operation,
            frontend=PLUGIN,
        )

    # -- the functions -------------------------------------------------------------------------------

    async def invoke(self, request: rpc.InvokeRequest) -> rpc.InvokeResponse:
        args = from_engine(request.args)
        problems = [rpc.CheckFailure(p.property, p.reason) for p in self._runtime.problems()]
        if problems:
            return rpc.InvokeResponse(failures=problems)
        client = await self._client()
        if request.tok in users.FUNCTIONS:
            return await users.invoke(request.tok, request.args, client)
        if request.tok == GET_ORGANIZATION:
            organization_id, name = args.get("id"), args.get("name")
            problem = queries.which_one_problem("getOrganization", organization_id, name)
            if problem is not None:
                return rpc.InvokeResponse(failures=[rpc.CheckFailure("id", problem)])
            found = await queries.organization(
                client,
                organization_id=None if organization_id is None else str(organization_id),
                name=None if name is None else str(name),
            )
            result: dict[str, Any] = _organization_result(found)
        elif request.tok == GET_ORGANIZATIONS:
            listed = await queries.organizations(client, args.get("name_filter") or args.get("nameFilter"))
            result = {"organizations": [_organization_result(o) for o in listed]}
        elif request.tok == GET_CURRENT_ORGANIZATION:
            result = _organization_result(await queries.current_organization(client))
        else:
            raise ValueError(f"unknown function {request.tok!r} (this plugin serves {_FUNCTIONS})")
        return rpc.InvokeResponse(return_value={key: engine_value(value) for key, value in result.items()})


_FUNCTIONS = ", ".join((GET_ORGANIZATION, GET_ORGANIZATIONS, GET_CURRENT_ORGANIZATION, *users.FUNCTIONS))


def _diff_kind(olds: dict[str, Any], news: dict[str, Any], field: str) -> rpc.PropertyDiffKind:
    if olds.get(field) is None:
        return rpc.PropertyDiffKind.ADD
    if news.get(field) is None:
        return rpc.PropertyDiffKind.DELETE
    return rpc.PropertyDiffKind.UPDATE
