"""The Organization's lifecycle, once, for both front ends: check, diff, create, read, update, delete.

The dynamic provider (provider.py) and the provider plugin (plugin/) are adapters: they turn what their
engine protocol sends into plain property dicts spelled like `fields.FIELDS`, call these functions, and
turn the answer back. Everything that decides something lives here: validation, the diff rule, which
requests to send, what proves ownership, and what an error says.

Facts the functions rely on: `check` sees old and new inputs and makes no API call; `diff` compares the
stored outputs with the new inputs; create, update and read return every output, write-only fields
(`client_id`, `client_secret`) carried from the inputs since the API never returns them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .config import ConfigProblem
from .errors import ConfigurationError, Conflict, Forbidden, NotFound, PolytomicError
from .fields import ADOPT_ID, CREATE_KEY, FIELDS, OIDC_FIELDS, READABLE_FIELDS, WRITE_ONLY_FIELDS
from .frontend import DYNAMIC, Frontend
from .hints import hint_for
from .ownership import name_taken_message

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .models import Organization, OrganizationSpec

__all__ = [
    "CLAIMED",
    "FRESH_KEYS",
    "CheckProblem",
    "ClaimedThisRun",
    "FreshKeys",
    "OrganizationError",
    "changed_fields",
    "check",
    "create",
    "delete",
    "inputs_for",
    "outputs_for",
    "read",
    "read_result",
    "update",
]


class OrganizationError(PolytomicError):
    """An operation on one organization failed; the message names it and says what to do."""


@dataclass(frozen=True)
class CheckProblem:
    """One rejected input, spelled the way the front end's users write the property."""

    property: str
    reason: str


def new_create_key() -> str:
    """A fresh Idempotency-Key (documented alphabet [A-Za-z0-9_-], 8-255 characters) for one create."""
    return f"pulumi-create-{uuid.uuid4().hex}"


class _SharedSet:
    """A set of strings that concurrent calls of one provider process add to and ask about."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: set[str] = set()

    def add(self, item: str) -> None:
        with self._lock:
            self._items.add(item)

    def __contains__(self, item: object) -> bool:
        with self._lock:
            return item in self._items

    def take(self, item: object) -> bool:
        """True, once, for an item that was added (and is removed by this call)."""
        with self._lock:
            if isinstance(item, str) and item in self._items:
                self._items.discard(item)
                return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class FreshKeys:
    """The create keys this process's `check` drew for resources that are not in the stack yet.

    A key in here has never been sent: the create that takes it is the first create of a new resource,
    and the engine has recorded the key in that create's pending operation, which is how `recover` proves
    what a killed run made. A resource already in the stack keeps the key it was created with, so its
    inputs stay the same from run to run (an input that changed every run would make the engine rewrite
    the whole state once per resource); a create that comes with such a key is a replacement, and the key
    is spent: that create draws a private one instead.
    """

    def __init__(self) -> None:
        self._keys = _SharedSet()

    def draw(self) -> str:
        key = new_create_key()
        self._keys.add(key)
        return key

    def take(self, key: object) -> bool:
        """True, once, for a key `draw` gave out."""
        return self._keys.take(key)


FRESH_KEYS = FreshKeys()


class ClaimedThisRun:
    """The organizations a create of this process made or adopted (a delete of this run must spare them),
    and those a delete of this process removed (an `adopt_id` naming one cannot be adopted any more).

    The engine deletes a replaced resource's old organization after creating its replacement. When that
    create adopted the old organization itself (the user named it with `adopt_id` after a create-first
    replacement was refused, or renamed a resource that still carries `adopt_id`), both entries are the
    same organization, and the delete would remove what the stack has just taken over. The other way round,
    a delete-first replacement of an adopted resource deletes the organization that a stale `adopt_id` in
    the program still names. A provider process serves one deployment, so "this process" is "this
    operation".
    """

    def __init__(self) -> None:
        self._claimed = _SharedSet()
        self._deleted = _SharedSet()

    def add(self, organization_id: str) -> None:
        self._claimed.add(organization_id)

    def __contains__(self, organization_id: object) -> bool:
        return organization_id in self._claimed

    def deleted(self, organization_id: str) -> None:
        self._deleted.add(organization_id)

    def was_deleted(self, organization_id: object) -> bool:
        return organization_id in self._deleted

    def clear(self) -> None:
        """Forget everything: a new operation begins (tests run several in one process)."""
        self._claimed.clear()
        self._deleted.clear()


CLAIMED = ClaimedThisRun()


# -- planning (no API calls) -------------------------------------------------------------------------------


def check(
    olds: dict[str, Any],
    news: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
    problems: Iterable[ConfigProblem],
    frontend: Frontend = DYNAMIC,
    foreign: Iterable[str] = (),
) -> tuple[dict[str, Any], list[CheckProblem]]:
    """The inputs to record and every problem with them or with the provider's settings.

    Values not known yet (`unknown`, during preview) are passed through unchecked. A resource not yet in
    the stack (`olds` empty) gets a create key of its own; one in the stack keeps the key it has and has
    finished any adoption.
    `foreign` names inputs the front end's users wrote that are not its properties, though the core might
    take them for its own (`sso_domain` written in a YAML program, whose schema says `ssoDomain`).
    """
    from .models import validate_inputs

    failures = [CheckProblem(name, _foreign_reason(name, frontend)) for name in foreign]
    unknown_keys = {key for key, value in news.items() if unknown(value)}
    props = {key: value for key, value in news.items() if not key.startswith("__") and key != ADOPT_ID}
    known = {key: value for key, value in props.items() if key not in unknown_keys and value is not None}
    _, found = validate_inputs(known)
    oidc_unknown = any(field in unknown_keys for field in OIDC_FIELDS)
    for problem in found:
        if problem.property in unknown_keys:
            continue
        if oidc_unknown and problem.reason.startswith("OIDC needs"):
            continue
        failures.append(
            CheckProblem(frontend.property_name(problem.property), frontend.spell(problem.reason))
        )
    adopt = news.get(ADOPT_ID)
    if adopt is not None and not unknown(adopt) and not _is_organization_id(adopt):
        failures.append(
            CheckProblem(
                ADOPT_ID,
                "adopt_id must be the id of an existing organization, a UUID such as "
                "248df4b7-aa70-47b8-a036-33ac447e668d (polytomic-pulumi generate lists them)",
            )
        )
    failures += [CheckProblem(problem.setting, problem.reason) for problem in problems]
    checked = dict(news)
    if isinstance(adopt, str) and _is_organization_id(adopt):
        checked[ADOPT_ID] = adopt.lower()  # as the API spells ids, so they compare with what it returns
    if olds:
        # In the stack already: adoption is over, and a create now could only be a replacement (which
        # draws a key of its own). The stored create key stays, so a resource's inputs are the same from
        # run to run: the engine rewrites the whole state file for each resource whose inputs changed.
        checked.pop(ADOPT_ID, None)
        if CREATE_KEY in olds:
            checked[CREATE_KEY] = olds[CREATE_KEY]
    else:
        # A key of this create's own: it can never replay one another run, stack or resource made.
        checked[CREATE_KEY] = FRESH_KEYS.draw()
    return checked, failures


def _is_organization_id(value: object) -> bool:
    """Polytomic's organization ids are UUIDs (the API's path parameters are `format: uuid`)."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()  # the canonical form only: no braces, no urn:
    except ValueError:
        return False


def _foreign_reason(name: str, frontend: Frontend) -> str:
    if name in FIELDS:
        return f"{name} is not a property of Organization: write it {frontend.property_name(name)}"
    if name == ADOPT_ID:
        return f"{name} is not a property of Organization: {frontend.adopt_elsewhere}"
    return f"{name} is not a property of Organization: leave it out"


def changed_fields(
    olds: dict[str, Any],
    news: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
    ignore: Iterable[str] = (),
) -> list[str]:
    """The fields whose new input differs from the stored output (or is not known yet).

    Only fields count: bookkeeping inputs (the create key, `adopt_id`) never cause an update.
    """
    ignored = set(ignore)
    return [
        field
        for field in FIELDS
        if field not in ignored and (unknown(news.get(field)) or olds.get(field) != news.get(field))
    ]


# -- outputs -------------------------------------------------------------------------------------------------


def outputs_for(live: Organization, props: dict[str, Any]) -> dict[str, Any]:
    """All outputs: readable fields as the API returned them, write-only ones as declared (or stored)."""
    outs: dict[str, Any] = {field: props.get(field) for field in WRITE_ONLY_FIELDS}
    outs.update(live.readable())
    if props.get(ADOPT_ID) is not None:
        outs[ADOPT_ID] = props[ADOPT_ID]
    return outs


def inputs_for(outs: dict[str, Any]) -> dict[str, Any]:
    """The inputs a read records: the live values, so drift shows in the next diff's changed fields.

    `adopt_id` is left out, as `check` leaves it out once the resource is in the stack."""
    return {key: outs[key] for key in FIELDS if outs.get(key) is not None}


def _spec_from(props: dict[str, Any]) -> OrganizationSpec:
    from .models import OrganizationSpec

    return OrganizationSpec.model_validate({field: props.get(field) for field in FIELDS})


def _label(props: dict[str, Any], organization_id: str | None = None) -> str:
    name = props.get("name")
    label = f"Organization {name!r}" if isinstance(name, str) else "Organization"
    return f"{label} ({organization_id})" if organization_id else label


def explain(error: PolytomicError, label: str, verb: str, deployment_url: str) -> OrganizationError:
    """Reword a client error for a person reading CLI output: what failed, why, and what to do."""
    if isinstance(error, ConfigurationError):  # already names the setting; the settings are unusable
        return OrganizationError(f"{label}: {verb} failed: {error}")
    hint = hint_for(error, deployment_url, f"{verb} organizations")
    return OrganizationError(f"{label}: {verb} failed: {hint}")


# -- operations ----------------------------------------------------------------------------------------------


async def create(
    client: AsyncPolytomicClient, props: dict[str, Any], *, frontend: Frontend = DYNAMIC
) -> tuple[str, dict[str, Any]]:
    """Create the organization (or adopt the one `adopt_id` names); returns its id and every output."""
    spec = _spec_from(props)
    label = _label(props)
    adopt_id = props.get(ADOPT_ID)
    if adopt_id and CLAIMED.was_deleted(adopt_id):
        # A delete-first replacement of the adopted resource has just deleted that organization: the
        # replacement is a new one, made under a key of its own (the `adopt_id` left in the program is stale).
        adopt_id = None
        props = {key: value for key, value in props.items() if key not in (ADOPT_ID, CREATE_KEY)}
    replacing = False
    try:
        if adopt_id:
            live = await _adopt(client, str(adopt_id), spec)
        else:
            # Retries of this one call share the key; nothing else ever sends it.
            replacing = not FRESH_KEYS.take(props.get(CREATE_KEY))
            key = new_create_key() if replacing else str(props[CREATE_KEY])
            live = await client.create_organization(spec, idempotency_key=key)
    except Conflict as error:
        message = await name_taken_message(
            client,
            spec.name,
            cause=error,
            own_id=str(adopt_id) if adopt_id else None,
            replacing=replacing,
            frontend=frontend,
        )
        raise OrganizationError(f"{label}: create failed: {message}") from None
    except NotFound as error:
        if not adopt_id:
            raise explain(error, label, "create", client.settings.deployment_url) from None
        raise OrganizationError(
            f"{label}: adopt_id {adopt_id!r} names no organization in this partner account "
            f"({error}): check the id (polytomic-pulumi generate lists them)"
        ) from None
    except PolytomicError as error:
        raise explain(error, label, "create", client.settings.deployment_url) from None
    CLAIMED.add(live.id)
    return live.id, outputs_for(live, props)


async def _adopt(client: AsyncPolytomicClient, organization_id: str, spec: OrganizationSpec) -> Organization:
    """Take over the organization the user named: one full PUT, only if it differs from the program."""
    live = await client.get_organization(organization_id)
    wanted = {field: getattr(spec, field) for field in READABLE_FIELDS}
    has_write_only = any(getattr(spec, field) is not None for field in WRITE_ONLY_FIELDS)
    if live.readable() == wanted and not has_write_only:
        return live
    return await client.update_organization(organization_id, spec)


async def update(
    client: AsyncPolytomicClient, id_: str, news: dict[str, Any], *, frontend: Frontend = DYNAMIC
) -> dict[str, Any]:
    """Send the whole desired payload (the API replaces SSO/OIDC settings in full); returns every output."""
    spec = _spec_from(news)
    label = _label(news, id_)
    try:
        live = await client.update_organization(id_, spec)
    except NotFound:
        raise OrganizationError(
            f"{label}: update failed: the organization no longer exists in Polytomic. Run 'pulumi refresh' "
            f"to drop it from the stack; the next 'pulumi up' creates it again"
        ) from None
    except Conflict as error:
        message = await name_taken_message(client, spec.name, cause=error, own_id=id_, frontend=frontend)
        raise OrganizationError(f"{label}: update failed: {message}") from None
    except PolytomicError as error:
        raise explain(error, label, "update", client.settings.deployment_url) from None
    return outputs_for(live, news)


async def read(
    client: AsyncPolytomicClient, id_: str, props: dict[str, Any], *, began_after: int | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The live outputs and the inputs to record, or None when a stored organization is gone.

    `props` are the stored outputs (refresh), or empty when the user named an id that is not in the
    stack yet (`Organization.get`, `pulumi import`): then a missing id is an error, not "gone". The inputs
    are None when the organization is as stored: the stack's inputs stay as they are (the engine's rule
    for a read that names none), so an unchanged refresh neither rewrites nor re-encodes them.
    `began_after`: see `OrganizationSnapshot.organization`.
    """
    from .snapshot import snapshot_of

    label = _label(props, id_)
    try:
        live = await snapshot_of(client).organization(id_, began_after=began_after)
    except NotFound:
        if props.get("name") is None:
            raise OrganizationError(
                f"{label}: no organization with id {id_!r} in this partner account: check the id "
                f"(polytomic-pulumi generate lists them)"
            ) from None
        return None  # deleted outside Pulumi: it leaves the stack
    except PolytomicError as error:
        raise explain(error, label, "read", client.settings.deployment_url) from None
    return read_result(live, props)


def read_result(live: Organization, props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What `read` answers for the live organization (no API call: a caller holding it already uses it)."""
    if props.get("name") is None:
        # The user named this id (`pulumi import`, `Organization.get`): it is this operation's now, and a
        # delete of an old entry of the same organization in this operation must spare it.
        CLAIMED.add(live.id)
    outs = outputs_for(live, props)
    as_stored = props.get("name") is not None and all(outs.get(f) == props.get(f) for f in FIELDS)
    return outs, None if as_stored else inputs_for(outs)


async def delete(
    client: AsyncPolytomicClient, id_: str, props: dict[str, Any], *, frontend: Frontend = DYNAMIC
) -> None:
    """Delete the organization; one already gone counts as deleted, and one this run's create returned is
    the resource's own again, so it is kept (see ClaimedThisRun)."""
    label = _label(props, id_)
    if id_ in CLAIMED:
        return
    try:
        await client.delete_organization(id_)
    except NotFound:
        CLAIMED.deleted(id_)
        return  # already gone: the goal of a delete is met
    except Forbidden as error:
        raise OrganizationError(
            f"{label}: delete failed ({error}): the partner's own owner organization cannot be deleted, "
            f"and organizations are deleted with a partner key. To drop it from the stack but keep it, "
            f"{frontend.keep_on_delete}"
        ) from None
    except PolytomicError as error:
        raise explain(error, label, "delete", client.settings.deployment_url) from None
    CLAIMED.deleted(id_)
