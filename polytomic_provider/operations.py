"""The Organization's lifecycle, once, for both front ends: check, diff, create, read, update, delete.

The dynamic provider (provider.py) and the provider plugin (plugin/) are adapters: they turn what their
engine protocol sends into plain property dicts spelled like `fields.FIELDS`, call these functions, and
turn the answer back. Everything that decides something lives here: validation, the diff rule, which
requests to send, what proves ownership, and what an error says.

Facts the functions rely on: `check` sees old and new inputs and validates them with no API call, then
(`check_account`, for valid inputs) records the partner account they will be sent to; `diff` compares the
stored outputs with the new inputs, after `verify_account`; create, update and read return every output,
write-only fields (`client_id`, `client_secret`) carried from the inputs since the API never returns
them, and the account (accounts.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .accounts import Account, account_of, recorded_account
from .claims import (
    Holder,
    ThisOperation,
    new_create_key,
    stack_identity,
    with_identity_kept,
    with_import_identity,
)
from .errors import Conflict, Forbidden, NotFound, PolytomicError
from .fields import (
    ACCOUNT,
    ADOPT_ID,
    CREATE_KEY,
    FIELDS,
    NAME_SECRET,
    OIDC_FIELDS,
    READABLE_FIELDS,
    WRITE_ONLY_FIELDS,
)
from .frontend import DYNAMIC, Frontend, shown_name
from .hints import failed
from .ownership import name_taken_message, same_name
from .problems import Problem

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .models import Organization, OrganizationSpec

__all__ = [
    "OrganizationError",
    "changed_fields",
    "check",
    "check_account",
    "create",
    "delete",
    "inputs_for",
    "outputs_for",
    "read",
    "read_result",
    "update",
    "verify_account",
]


class OrganizationError(PolytomicError):
    """An operation on one organization failed; the message names it and says what to do."""


def _held_twice(organization_id: str, first: Holder, second: Holder) -> str:
    return (
        f"organization {organization_id} is claimed by two resources of this stack: {first.description} "
        f"and {second.description}. An organization belongs to one resource, or the two would take turns "
        f"overwriting its settings: keep adopt_id (or the import) on one of them only; if both are in "
        f"the stack already, run 'pulumi state delete <urn>' for the one that should let it go"
    )


# -- planning (no API calls) -------------------------------------------------------------------------------


def check(
    olds: dict[str, Any],
    news: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
    problems: Iterable[Problem],
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
    foreign: Iterable[str] = (),
) -> tuple[dict[str, Any], list[Problem]]:
    """The inputs to record and every problem with them or with the provider's settings.

    Values not known yet (`unknown`, during preview) are passed through unchecked. A resource not yet in
    the stack (`olds` empty) gets a create key of its own; one in the stack keeps the key it has and has
    finished any adoption.
    `foreign` names inputs the front end's users wrote that are not its properties, though the core might
    take them for its own (`sso_domain` written in a YAML program, whose schema says `ssoDomain`).
    """
    from .models import validate_inputs

    failures = [Problem(name, _foreign_reason(name, frontend)) for name in foreign]
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
        failures.append(Problem(frontend.property_name(problem.property), frontend.spell(problem.reason)))
    adopt = news.get(ADOPT_ID)
    if adopt is not None and not unknown(adopt) and not _is_organization_id(adopt):
        failures.append(
            Problem(
                ADOPT_ID,
                "adopt_id must be the id of an existing organization, a UUID such as "
                "248df4b7-aa70-47b8-a036-33ac447e668d (polytomic-pulumi generate lists them)",
            )
        )
    failures += problems
    checked = dict(news)
    if isinstance(adopt, str) and _is_organization_id(adopt):
        checked[ADOPT_ID] = adopt.lower()  # as the API spells ids, so they compare with what it returns
    if olds:
        if isinstance(adopt, str) and _is_organization_id(adopt):
            operation.claimed.named_in_stack(adopt.lower(), _declared(news))
        # In the stack already: adoption is over, and a create now could only be a replacement (which
        # draws a key of its own). The stored create key stays, so a resource's inputs are the same from
        # run to run: the engine rewrites the whole state file for each resource whose inputs changed.
        checked.pop(ADOPT_ID, None)
        if CREATE_KEY in olds:
            checked[CREATE_KEY] = olds[CREATE_KEY]
    else:
        # A key of this create's own: it can never replay one another run, stack or resource made.
        checked[CREATE_KEY] = operation.fresh_keys.draw()
    return checked, failures


def _declared(props: dict[str, Any]) -> str:
    """A resource's declared fields, to tell a replacement's second check from another resource's."""
    return repr([(field, props.get(field)) for field in FIELDS])


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


# -- accounts (one request per process: accounts.py) -----------------------------------------------------


def _moved(label: str, recorded: Account, current: Account, frontend: Frontend, nothing: str) -> str:
    """Why an organization recorded in one account is not touched through settings that reach another."""
    return (
        f"{label} is recorded in the partner account {recorded}, but the provider's settings now reach "
        f"another account, {current}. {nothing}: a change of settings never moves, forgets or re-creates "
        f"an organization. If the settings changed by mistake, restore those of {recorded.url} "
        f"(deploymentUrl and partnerKey, in the stack's polytomic config or the provider resource; refresh "
        f"and destroy use the settings the last 'pulumi up' recorded, so run 'pulumi up' after that). To "
        f"move it on purpose, either delete it with the old settings (remove it from the program and run "
        f"'pulumi up') and declare it again under the new ones, or keep it where it is: run 'pulumi state "
        f"delete <urn>' and, for an organization of the new account, {frontend.adopt_by_id}"
    )


def _unproven(label: str, current: Account, frontend: Frontend) -> str:
    """Why an organization of a state that records no account, missing from this one, is left alone."""
    return (
        f"{label} is not in the partner account the provider's settings reach, {current}, and its stored "
        f"outputs record no account (written by polytomic-pulumi 0.2 or older, not refreshed since), so it "
        f"is neither dropped from the stack nor created again. If the settings point at another account by "
        f"mistake, restore them. If the organization was deleted outside Pulumi, run 'pulumi state delete "
        f"<urn>'; to manage another organization in its place, {frontend.adopt_by_id}"
    )


def _unproven_at_check(label: str, current: Account) -> str:
    return (
        f"{label} was recorded by polytomic-pulumi 0.2 or older, which did not record the partner account, "
        f"and no organization of that name is listed in the account the provider's settings reach, "
        f"{current}, so nothing will be changed. If the settings point at another account by mistake, "
        f"restore them. Otherwise run 'pulumi refresh' with the settings of the account that holds it: it "
        f"records the account (and a name changed outside Pulumi)"
    )


async def _listed_by_name(client: AsyncPolytomicClient, name: object) -> bool:
    """Whether the account lists an organization of this name (True when the list cannot be had: `diff`
    and the operations prove the organization by its id then)."""
    from .snapshot import snapshot_of

    try:
        organizations = await snapshot_of(client).organizations()
    except PolytomicError:
        return True
    if organizations is None or not isinstance(name, str):
        return True
    return any(same_name(organization.name, name) for organization in organizations)


def _not_proof_of_deletion(label: str, recorded: Account | None, current: Account, frontend: Frontend) -> str:
    """Why a 404 does not remove an organization: its account is not recorded, or recorded at another URL."""
    if recorded is None:
        return _unproven(label, current, frontend)
    return (
        f"{label} is not found at {current.url}, but it is recorded at {recorded.url} (the same owner "
        f"organization, {current.owner_id}): a 404 at another address is no proof that it is gone, so it "
        f"stays in the stack. Restore the deployment URL, or, if it was deleted outside Pulumi, run "
        f"'pulumi state delete <urn>'"
    )


async def _account(client: AsyncPolytomicClient, label: str, verb: str) -> Account:
    try:
        return await account_of(client)
    except PolytomicError as error:
        raise explain(error, label, verb, client.settings.deployment_url) from None


def _refuse_other_account(
    props: dict[str, Any] | None,
    current: Account,
    label: str,
    frontend: Frontend,
    nothing: str,
    *,
    inputs: dict[str, Any] | None = None,
) -> Account | None:
    """The account `props` (else `inputs`) record (None for a state of 0.2 or older); raises if it is not
    `current`."""
    recorded = recorded_account(props, inputs)
    if recorded is not None and not recorded.same_as(current):
        raise OrganizationError(_moved(label, recorded, current, frontend, nothing))
    return recorded


async def check_account(
    client: AsyncPolytomicClient,
    olds: dict[str, Any],
    checked: dict[str, Any],
    *,
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
    urn: str = "",
) -> list[Problem]:
    """The second half of `check`, for settings without problems: record the account the settings reach
    in `checked`, refuse a resource recorded in another one, and prove an `adopt_id` (it names an
    organization of this account, and no other resource of the stack claims it).

    In `check`, not only in `diff`, so that an `up` with nothing to change still records the account in
    the inputs it writes for each resource (a state of 0.2 or older gains it so)."""
    label = _label(olds or checked)
    try:
        account = await account_of(client)
    except PolytomicError as error:
        return [Problem("", str(explain(error, label, "check", client.settings.deployment_url)))]
    recorded = recorded_account(olds)
    if recorded is not None and not recorded.same_as(account):
        return [Problem("", _moved(label, recorded, account, frontend, "Nothing will be changed"))]
    if olds and recorded is None and not await _listed_by_name(client, olds.get("name")):
        # A state of 0.2 or older: `diff` proves the organization by its id, but a replacement or a change
        # of provider is decided without `diff`. Names are unique in an account: one not listed here is
        # most likely another account's (or renamed outside Pulumi, which a refresh records).
        return [Problem("", _unproven_at_check(label, account))]
    checked[ACCOUNT] = account.recorded
    adopt = checked.get(ADOPT_ID)
    if (
        olds
        or not isinstance(adopt, str)
        or not _is_organization_id(adopt)
        or operation.claimed.was_deleted(adopt)
    ):
        return []
    if operation.claimed.is_named_in_stack(adopt, _declared(checked)):
        return []  # the replacement of the stack's resource that adopted it (create spares or remakes it)
    other = operation.claimed.hold(adopt, Holder.adopting(checked, urn))
    if other is not None:
        return [Problem(ADOPT_ID, _held_twice(adopt, other, Holder.adopting(checked, urn)))]
    from .snapshot import snapshot_of

    try:
        await snapshot_of(client).organization(adopt)
    except NotFound:
        return [
            Problem(
                ADOPT_ID,
                f"adopt_id {adopt!r} names no organization in the partner account {account}: check the id "
                f"(polytomic-pulumi generate lists them)",
            )
        ]
    except PolytomicError:
        pass  # the create meets it again, and says so
    return []


async def verify_account(
    client: AsyncPolytomicClient,
    id_: str,
    olds: dict[str, Any],
    *,
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
    urn: str = "",
) -> None:
    """For `diff`: the organization is in the account the settings reach, and no other resource holds it.
    The resource keeps it through this run (a diff never replaces an organization): a delete of another
    resource of the stack that came to hold it too leaves it to this one (`delete`).

    A state of 0.2 or older records no account: the organization proves it by being visible (one list
    call serves the whole run), and `check` has recorded the account in the inputs the run writes."""
    label = _label(olds, id_)
    account = await _account(client, label, "check")
    recorded = _refuse_other_account(olds, account, label, frontend, "Nothing will be changed")
    if recorded is None:
        from .snapshot import snapshot_of

        try:
            await snapshot_of(client).organization(id_)
        except NotFound:
            raise OrganizationError(_unproven(label, account, frontend)) from None
        except PolytomicError as error:
            raise explain(error, label, "check", client.settings.deployment_url) from None
    this = Holder.in_stack(id_, olds, urn)
    other = operation.claimed.hold(id_, this)
    if other is not None:
        raise OrganizationError(f"{label}: {_held_twice(id_, other, this)}")
    operation.organizations_kept.note(id_.lower(), stack_identity("organization", id_, olds), kept=True)


# -- outputs -------------------------------------------------------------------------------------------------


def outputs_for(live: Organization, props: dict[str, Any], account: Account) -> dict[str, Any]:
    """All outputs: readable fields as the API returned them, write-only ones as declared (or stored), the
    account that holds the organization, and the create key (hidden, as every `__` key is: it tells two
    resources of the stack holding one organization apart, `stack_identity`)."""
    outs: dict[str, Any] = {field: props.get(field) for field in WRITE_ONLY_FIELDS}
    outs.update(live.readable())
    if props.get(ADOPT_ID) is not None:
        outs[ADOPT_ID] = props[ADOPT_ID]
    if props.get(NAME_SECRET):
        outs[NAME_SECRET] = True
    outs[ACCOUNT] = account.recorded
    if isinstance(props.get(CREATE_KEY), str):
        outs[CREATE_KEY] = props[CREATE_KEY]  # the resource's identity (`stack_identity`)
    return outs


def inputs_for(outs: dict[str, Any]) -> dict[str, Any]:
    """The inputs a read records: the live values, so drift shows in the next diff's changed fields.

    `adopt_id` is left out, as `check` leaves it out once the resource is in the stack."""
    return {key: outs[key] for key in (*FIELDS, ACCOUNT) if outs.get(key) is not None}


def _spec_from(props: dict[str, Any]) -> OrganizationSpec:
    from .models import OrganizationSpec

    return OrganizationSpec.model_validate({field: props.get(field) for field in FIELDS})


def _label(props: dict[str, Any], organization_id: str | None = None) -> str:
    name = props.get("name")
    label = f"Organization {shown_name(name)}" if isinstance(name, str) else "Organization"
    return f"{label} ({organization_id})" if organization_id else label


def explain(error: PolytomicError, label: str, verb: str, deployment_url: str) -> OrganizationError:
    """Reword a client error for a person reading CLI output: what failed, why, and what to do."""
    return OrganizationError(failed(error, label, verb, deployment_url, "organizations"))


# -- operations ----------------------------------------------------------------------------------------------


async def create(
    client: AsyncPolytomicClient,
    props: dict[str, Any],
    *,
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
) -> tuple[str, dict[str, Any]]:
    """Create the organization (or adopt the one `adopt_id` names); returns its id and every output."""
    spec = _spec_from(props)
    label = _label(props)
    adopt_id = props.get(ADOPT_ID)
    if adopt_id and operation.claimed.was_deleted(adopt_id):
        # A delete-first replacement of the adopted resource has just deleted that organization: the
        # replacement is a new one, made under a key of its own (the `adopt_id` left in the program is stale).
        adopt_id = None
        props = {key: value for key, value in props.items() if key not in (ADOPT_ID, CREATE_KEY)}
    account = await _account(client, label, "create")
    _refuse_other_account(props, account, label, frontend, "Nothing was created")
    replacing = False
    try:
        if adopt_id:
            live = await _adopt(client, str(adopt_id), spec)
        else:
            # Retries of this one call share the key; nothing else ever sends it.
            replacing = not operation.fresh_keys.take(props.get(CREATE_KEY))
            key = new_create_key() if replacing else str(props[CREATE_KEY])
            live = await client.create_organization(spec, idempotency_key=key)
    except Conflict as error:
        message = await name_taken_message(
            client,
            spec.name,
            cause=error,
            own_id=str(adopt_id) if adopt_id else None,
            replacing=replacing,
            secrets=(spec.client_secret,),
            frontend=frontend,
        )
        raise OrganizationError(f"{label}: create failed: {message}") from None
    except NotFound as error:
        if not adopt_id:
            raise explain(error, label, "create", client.settings.deployment_url) from None
        raise OrganizationError(
            f"{label}: adopt_id {adopt_id!r} names no organization in the partner account {account} "
            f"({error}): check the id (polytomic-pulumi generate lists them)"
        ) from None
    except PolytomicError as error:
        raise explain(error, label, "create", client.settings.deployment_url) from None
    operation.claimed.add(live.id)
    return live.id, outputs_for(live, props, account)


async def _adopt(client: AsyncPolytomicClient, organization_id: str, spec: OrganizationSpec) -> Organization:
    """Take over the organization the user named: one full PUT, only if it differs from the program."""
    live = await client.get_organization(organization_id)
    wanted = {field: getattr(spec, field) for field in READABLE_FIELDS}
    has_write_only = any(getattr(spec, field) is not None for field in WRITE_ONLY_FIELDS)
    if live.readable() == wanted and not has_write_only:
        return live
    return await client.update_organization(organization_id, spec)


async def update(
    client: AsyncPolytomicClient,
    id_: str,
    news: dict[str, Any],
    *,
    olds: dict[str, Any] | None = None,
    frontend: Frontend = DYNAMIC,
) -> dict[str, Any]:
    """Send the whole desired payload (the API replaces SSO/OIDC settings in full); returns every output.

    `olds`, the stored outputs, name the account that holds the organization: never one the settings do
    not reach (`diff` has refused already; this is the last line)."""
    spec = _spec_from(news)
    label = _label(news, id_)
    account = await _account(client, label, "update")
    _refuse_other_account(olds, account, label, frontend, "Nothing was changed")
    try:
        live = await client.update_organization(id_, spec)
    except NotFound:
        raise OrganizationError(
            f"{label}: update failed: the organization no longer exists in Polytomic. Run 'pulumi refresh' "
            f"to drop it from the stack; the next 'pulumi up' creates it again"
        ) from None
    except Conflict as error:
        message = await name_taken_message(
            client, spec.name, cause=error, own_id=id_, frontend=frontend, secrets=(spec.client_secret,)
        )
        raise OrganizationError(f"{label}: update failed: {message}") from None
    except PolytomicError as error:
        raise explain(error, label, "update", client.settings.deployment_url) from None
    return outputs_for(live, with_identity_kept(news, olds), account)


async def read(
    client: AsyncPolytomicClient,
    id_: str,
    props: dict[str, Any],
    *,
    inputs: dict[str, Any] | None = None,
    began_after: int | None = None,
    frontend: Frontend = DYNAMIC,
    urn: str = "",
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The live outputs and the inputs to record, or None when a stored organization is gone.

    `props` are the stored outputs (refresh), or empty when the user named an id that is not in the
    stack yet (`Organization.get`, `pulumi import`): then a missing id is an error, not "gone". The inputs
    are None when the organization is as stored: the stack's inputs stay as they are (the engine's rule
    for a read that names none), so an unchanged refresh neither rewrites nor re-encodes them.
    `inputs`: the stored inputs, where the front end has them (another place the account is recorded).
    Only a 404 in the account that holds the organization removes it from the stack; one the settings
    do not reach, or one not recorded (a state of 0.2 or older) and not found, is an error.
    `began_after`: see `OrganizationSnapshot.organization`. `urn`: see `read_result`.
    """
    from .snapshot import snapshot_of

    label = _label(props, id_)
    # The account and the organization are asked for at once: a refresh's first read pays one round trip.
    looked_up, found = await asyncio.gather(
        account_of(client),
        snapshot_of(client).organization(id_, began_after=began_after),
        return_exceptions=True,
    )
    if isinstance(looked_up, PolytomicError):
        raise explain(looked_up, label, "read", client.settings.deployment_url) from None
    if isinstance(looked_up, BaseException):
        raise looked_up
    account = looked_up
    recorded = _refuse_other_account(
        props, account, label, frontend, "Nothing was read or dropped", inputs=inputs
    )
    if isinstance(found, NotFound):
        if props.get("name") is None:
            raise OrganizationError(
                f"{label}: no organization with id {id_!r} in the partner account {account}: check the id "
                f"(polytomic-pulumi generate lists them)"
            ) from None
        if recorded is None or recorded.url != account.url:
            raise OrganizationError(_not_proof_of_deletion(label, recorded, account, frontend)) from None
        return None  # deleted outside Pulumi, confirmed in its own account: it leaves the stack
    if isinstance(found, PolytomicError):
        raise explain(found, label, "read", client.settings.deployment_url) from None
    if isinstance(found, BaseException):
        raise found
    return read_result(found, props, account, urn=urn)


def read_result(
    live: Organization,
    props: dict[str, Any],
    account: Account,
    *,
    urn: str = "",
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What `read` answers for the live organization, listed by `account` (no API call: a caller holding
    both already uses them). The caller has made sure that `props` record no other account.

    A read of an id the user named (`props` without a name) claims and holds nothing: the engine reads a
    plugin's `get` reference exactly as an import, and a `get` owns nothing (a claim spared the delete of
    the organization it read, and a hold failed every run of a `get` of the stack's own). An `import`
    option is diffed after its read (`verify_account` holds it, under the importing resource's URN, and
    keeps it, so the delete of an old entry of the same organization leaves it to the import); a CLI
    `pulumi import` runs no diff and no delete. `urn` gives the imported resource its identity."""
    if props.get("name") is None:
        # The engine checks an import's inputs, and `check` refuses a bookkeeping key from a program;
        # it records the account itself.
        outs = outputs_for(live, with_import_identity(props, urn), account)
        return outs, {key: value for key, value in inputs_for(outs).items() if key != ACCOUNT}
    outs = outputs_for(live, props, account)
    as_stored = all(outs.get(key) == props.get(key) for key in (*FIELDS, ACCOUNT))
    return outs, None if as_stored else inputs_for(outs)


async def delete(
    client: AsyncPolytomicClient,
    id_: str,
    props: dict[str, Any],
    *,
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
) -> None:
    """Delete the organization; one already gone counts as deleted, and one this run's create returned is
    the resource's own again, so it is kept (see ClaimedThisRun). One that another resource of the stack
    keeps in this run (its diff, `verify_account`) is left to it: this resource only leaves the stack. The
    resource's own diff never spares it (the engine may replace what its diff kept: `pulumi up --replace`,
    `replace_on_changes` with a delete-first replacement); resources are told apart by `stack_identity`."""
    label = _label(props, id_)
    if id_ in operation.claimed:
        return
    this = stack_identity("organization", id_, props)
    if operation.organizations_kept.spares(id_.lower(), this, label=label, kind="organization"):
        return
    account = await _account(client, label, "delete")
    recorded = _refuse_other_account(props, account, label, frontend, "Nothing was deleted")
    try:
        await client.delete_organization(id_)
    except NotFound:
        if recorded is None or recorded.url != account.url:  # it may never have been here
            raise OrganizationError(_not_proof_of_deletion(label, recorded, account, frontend)) from None
        operation.claimed.deleted(id_)
        return  # already gone from its own account: the goal of a delete is met
    except Forbidden as error:
        raise OrganizationError(
            f"{label}: delete failed ({error}): the partner's own owner organization cannot be deleted, "
            f"and organizations are deleted with a partner key. To drop it from the stack but keep it, "
            f"{frontend.keep_on_delete}"
        ) from None
    except PolytomicError as error:
        raise explain(error, label, "delete", client.settings.deployment_url) from None
    operation.claimed.deleted(id_)
