"""The User's lifecycle (the users of an organization), once, for the front ends: check, diff, create, read,
update, delete. The same rules as operations.py has for organizations, and the same machinery: the create
key drawn by `check` (claims.py) and sent as the Idempotency-Key, the account recorded on every user
(accounts.py), a 404 dropping a user only when its account is provably the one reached.

What is particular to users: the email is unique within an organization ignoring case (the API stores it
lower-cased), so a case change is no change and another address is a replacement; the role is declared
by name (`role`) or by ids (`role_ids`), or neither for Admin, and `check` resolves it to ids once, so
the diff compares ids with ids and every PUT sends the whole assignment.
"""

from __future__ import annotations

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
from .errors import Forbidden, NotFound, PolytomicError, Unauthorized, Unprocessable
from .fields import ACCOUNT, ADOPT_ID, CREATE_KEY
from .frontend import DYNAMIC, Frontend
from .hints import failed
from .problems import Problem
from .user_fields import DEFAULT_ROLE, READ_FIELDS, RESOLVED_ROLE_IDS, ROLE, ROLE_IDS, USER_FIELDS

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient
    from .user_models import User, UserSpec

__all__ = [
    "UserError",
    "check",
    "check_account",
    "create",
    "delete",
    "diff",
    "hold_in_stack",
    "import_target",
    "note_diff",
    "read",
    "update",
]

_ADOPT_FIX = "adopt_id must be the id of an existing user of the organization, a UUID"


class UserError(PolytomicError):
    """An operation on one user failed; the message names the user and says what to do."""


def _label(props: dict[str, Any], user_id: str | None = None) -> str:
    email, org = props.get("email"), props.get("organization_id")
    label = f"User {email!r}" if isinstance(email, str) else "User"
    if isinstance(org, str):
        label += f" of organization {org}"
    return f"{label} ({user_id})" if user_id else label


def _explain(error: PolytomicError, label: str, verb: str, deployment_url: str) -> UserError:
    return UserError(failed(error, label, verb, deployment_url, "users"))


def _moved(label: str, recorded: Account, current: Account, nothing: str) -> str:
    return (
        f"{label} is recorded in the partner account {recorded}, but the provider's settings now reach "
        f"another account, {current}. {nothing}: a change of settings never moves, forgets or re-creates a "
        f"user. Restore the settings of {recorded.url} (deploymentUrl and partnerKey), or run 'pulumi state "
        f"delete <urn>' to let the stack forget it"
    )


def _refuse_other_account(
    props: dict[str, Any] | None, current: Account, label: str, nothing: str
) -> Account | None:
    recorded = recorded_account(props)
    if recorded is not None and not recorded.same_as(current):
        raise UserError(_moved(label, recorded, current, nothing))
    return recorded


async def _account(client: AsyncPolytomicClient, label: str, verb: str) -> Account:
    try:
        return await account_of(client)
    except PolytomicError as error:
        raise _explain(error, label, verb, client.settings.deployment_url) from None


def _held_twice(user_id: str, first: Holder, second: Holder) -> str:
    return (
        f"user {user_id} is claimed by two resources of this stack: {first.description} and "
        f"{second.description}. A user belongs to one resource, or the two would take turns overwriting its "
        f"role (and a delete of one would delete it under the other): keep adopt_id (or the import) on one "
        f"of them only; if both are in the stack already, run 'pulumi state delete <urn>' for the one that "
        f"should let it go"
    )


def _declared(props: dict[str, Any]) -> str:
    """A user's declared fields, to tell a replacement's second check from another resource's."""
    return repr([(field, props.get(field)) for field in USER_FIELDS])


def _adopting(checked: dict[str, Any], urn: str) -> Holder:
    """A new resource naming the user to adopt: every one is a resource of its own."""
    if urn:
        return Holder(urn, urn)
    import uuid

    email = checked.get("email")
    shown = f" (email {email!r})" if isinstance(email, str) else ""
    return Holder(f"adopt-user:{uuid.uuid4().hex}", f"a new User adopting it{shown}")


def hold_in_stack(operation: ThisOperation, user_id: str, olds: dict[str, Any], urn: str = "") -> None:
    """For `diff`: note that the stack's resource for this user holds it, and refuse the run when another
    resource of this operation (one adopting the same id, or another of the stack's) holds it already."""
    email = olds.get("email")
    description = urn or (f"the stack's User {email!r}" if isinstance(email, str) else "the stack's User")
    if not urn and olds.get(ADOPT_ID):
        description += " that adopted it"  # the dynamic provider has no URN to tell two of them apart
    this = Holder(urn or stack_identity("user", user_id, olds), description)
    other = operation.claimed.hold(user_id.lower(), this)
    if other is not None:
        raise UserError(f"{_label(olds, user_id)}: {_held_twice(user_id.lower(), other, this)}")


def note_diff(operation: ThisOperation, user_id: str, olds: dict[str, Any], replaces: list[str]) -> None:
    """For `diff`: a resource that is not replaced keeps its user through this run, and a later diff of it
    that replaces it lets the user go. A targeted `up` or a CLI `pulumi import` diffs no other resource,
    so two resources can come to hold one user; when one of them is removed, its delete must not take the
    user from the other (`delete`)."""
    operation.users_kept.note(user_id.lower(), stack_identity("user", user_id, olds), kept=not replaces)


# -- planning ------------------------------------------------------------------------------------------------


def check(
    olds: dict[str, Any],
    news: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
    problems: Iterable[Problem],
    operation: ThisOperation,
) -> tuple[dict[str, Any], list[Problem]]:
    """The inputs to record and every problem with them or the settings, with no API call.

    Values not known yet (preview) pass unchecked; a user not yet in the stack gets a create key."""
    from .user_models import is_uuid, validate_user_inputs

    unknown_keys = {key for key, value in news.items() if unknown(value)}
    props = {key: value for key, value in news.items() if not key.startswith("__") and key != ADOPT_ID}
    known = {key: value for key, value in props.items() if key not in unknown_keys and value is not None}
    failures = [problem for problem in validate_user_inputs(known) if problem.property not in unknown_keys]
    adopt = news.get(ADOPT_ID)
    if adopt is not None and not unknown(adopt) and not is_uuid(adopt):
        failures.append(Problem(ADOPT_ID, f"{_ADOPT_FIX} such as 248df4b7-aa70-47b8-a036-33ac447e668d"))
    failures += problems
    checked = dict(news)
    checked.pop(RESOLVED_ROLE_IDS, None)  # resolved again by check_account, never taken from the program
    if isinstance(adopt, str) and is_uuid(adopt):
        checked[ADOPT_ID] = adopt.lower()
    if olds:
        if isinstance(adopt, str) and is_uuid(adopt):
            operation.claimed.named_in_stack(adopt.lower(), _declared(news))
        checked.pop(ADOPT_ID, None)  # in the stack: adoption is over
        if CREATE_KEY in olds:
            checked[CREATE_KEY] = olds[CREATE_KEY]
    else:
        checked[CREATE_KEY] = operation.fresh_keys.draw()
    return checked, failures


async def check_account(
    client: AsyncPolytomicClient,
    olds: dict[str, Any],
    checked: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
    operation: ThisOperation | None = None,
    urn: str = "",
) -> list[Problem]:
    """The second half of `check`, for inputs without problems: record the account, refuse an `adopt_id`
    naming a user another resource of this operation holds, resolve the declared role (or the default,
    Admin) to ids once, and prove an `adopt_id` names a user of that organization."""
    label = _label(olds or checked)
    try:
        account = await account_of(client)
    except PolytomicError as error:
        return [Problem("", str(_explain(error, label, "check", client.settings.deployment_url)))]
    recorded = recorded_account(olds)
    if recorded is not None and not recorded.same_as(account):
        return [Problem("", _moved(label, recorded, account, "Nothing will be changed"))]
    checked[ACCOUNT] = account.recorded
    held = _held_by_another(checked, olds, operation, urn)
    if held is not None:
        return [held]
    org = checked.get("organization_id")
    if not isinstance(org, str) or unknown(org) or unknown(checked.get(ROLE)):
        return []  # preview of a user of an organization not created yet: resolved in `up`
    problems: list[Problem] = []
    from .user_roles import RoleNotFound, check_role_ids, resolve_role

    declared = checked.get(ROLE_IDS)
    try:
        if declared is None:
            checked[RESOLVED_ROLE_IDS] = await resolve_role(
                client, org, str(checked.get(ROLE) or DEFAULT_ROLE)
            )
        elif not unknown(declared):
            await check_role_ids(client, org, [str(item) for item in declared])
    except RoleNotFound as error:
        problems.append(Problem(ROLE if declared is None else ROLE_IDS, str(error)))
    except PolytomicError as error:
        if await _organization_missing(client, org, error):
            problems.append(Problem("organization_id", _no_organization(org, account)))
        else:
            problems.append(Problem("", str(_explain(error, label, "check", client.settings.deployment_url))))
    adopt = checked.get(ADOPT_ID)
    if not olds and isinstance(adopt, str) and not problems:
        try:
            await client.get_user(org, adopt)
        except NotFound:
            problems.append(Problem(ADOPT_ID, _no_user(adopt, org, account)))
        except PolytomicError:
            pass  # the create meets it again, and says so
    return problems


def _held_by_another(
    checked: dict[str, Any], olds: dict[str, Any], operation: ThisOperation | None, urn: str
) -> Problem | None:
    """A new resource adopting a user that another resource of this operation holds (one adopting the
    same id, or the stack's resource for it): two resources would manage one user."""
    adopt = checked.get(ADOPT_ID)
    if olds or operation is None or not isinstance(adopt, str) or operation.claimed.was_deleted(adopt):
        return None
    if operation.claimed.is_named_in_stack(adopt, _declared(checked)):
        return None  # the replacement of the stack's resource that adopted it
    holder = _adopting(checked, urn)
    other = operation.claimed.hold(adopt, holder)
    return None if other is None else Problem(ADOPT_ID, _held_twice(adopt, other, holder))


async def _organization_missing(client: AsyncPolytomicClient, org: str, error: PolytomicError) -> bool:
    """Whether the roles list failed because the organization does not exist: the organization-scoped
    credential of a missing organization is refused (401) rather than answered 404, so the partner-level
    list (one call per run, snapshot.py) decides."""
    if isinstance(error, NotFound):
        return True
    if not isinstance(error, Unauthorized | Forbidden):
        return False
    from .snapshot import snapshot_of

    try:
        await snapshot_of(client).organization(org)
    except NotFound:
        return True
    except PolytomicError:
        return False
    return False


def _no_organization(org: str, account: Account) -> str:
    return (
        f"organization_id {org} names no organization in the partner account {account}: pass the "
        f"Organization resource's id (or check the id)"
    )


def _no_user(adopt: str, org: str, account: Account) -> str:
    return (
        f"adopt_id {adopt!r} names no user of organization {org} in the partner account {account}: check "
        f"the id (get_users(organization_id=...) lists them); once a user is adopted, remove adopt_id"
    )


def desired_role_ids(props: dict[str, Any]) -> list[str] | None:
    """The role ids the inputs declare: `role_ids` as given, else those `check` resolved the role to."""
    declared = props.get(ROLE_IDS)
    if declared is not None:
        return [str(item).lower() for item in declared]
    resolved = props.get(RESOLVED_ROLE_IDS)
    return [str(item).lower() for item in resolved] if resolved is not None else None


def diff(
    olds: dict[str, Any], news: dict[str, Any], *, unknown: Callable[[Any], bool]
) -> tuple[list[str], list[str]]:
    """The changed fields and, of those, the ones that replace the user: another organization, or another
    address (an email differing in letter case only is the same address, so no change at all)."""
    changed: list[str] = []
    replaces: list[str] = []
    org, email = news.get("organization_id"), news.get("email")
    if unknown(org) or (str(org).lower() != str(olds.get("organization_id", "")).lower()):
        changed.append("organization_id")
        replaces.append("organization_id")
    if unknown(email) or str(email).lower() != str(olds.get("email", "")).lower():
        changed.append("email")
        replaces.append("email")
    wanted = None if unknown(news.get(ROLE_IDS)) or unknown(news.get(ROLE)) else desired_role_ids(news)
    live = [str(item).lower() for item in olds.get(ROLE_IDS) or []]
    if wanted is None or wanted != live:
        changed.append(ROLE if news.get(ROLE_IDS) is None else ROLE_IDS)
    return changed, replaces


# -- operations ----------------------------------------------------------------------------------------------


def _outputs(live: User, props: dict[str, Any], account: Account) -> dict[str, Any]:
    outs = live.outputs()
    if props.get(ADOPT_ID) is not None:
        outs[ADOPT_ID] = props[ADOPT_ID]
    outs[ACCOUNT] = account.recorded
    if isinstance(props.get(CREATE_KEY), str):
        outs[CREATE_KEY] = props[CREATE_KEY]  # the resource's identity (`stack_identity`)
    return outs


async def _spec(client: AsyncPolytomicClient, props: dict[str, Any], label: str) -> UserSpec:
    """The full payload: the email as declared and the concrete role ids (resolved now if `check` could not,
    as for a user of an organization that the same `up` created)."""
    from .user_models import UserSpec
    from .user_roles import RoleNotFound, resolve_role

    role_ids = desired_role_ids(props)
    if role_ids is None:
        try:
            role_ids = await resolve_role(
                client, str(props["organization_id"]), str(props.get(ROLE) or DEFAULT_ROLE)
            )
        except RoleNotFound as error:
            raise UserError(f"{label}: {error}") from None
        except PolytomicError as error:
            raise _explain(error, label, "resolve the role of", client.settings.deployment_url) from None
    return UserSpec(email=str(props["email"]), role_ids=role_ids)


async def create(
    client: AsyncPolytomicClient,
    props: dict[str, Any],
    *,
    operation: ThisOperation,
    frontend: Frontend = DYNAMIC,
) -> tuple[str, dict[str, Any]]:
    """Create the user (one invitation, however often the POST is retried) or adopt the one `adopt_id`
    names; returns its id and every output. `frontend` words the way to adopt a user holding the email."""
    label = _label(props)
    org = str(props["organization_id"])
    account = await _account(client, label, "create")
    _refuse_other_account(props, account, label, "Nothing was created")
    spec = await _spec(client, props, label)
    adopt_id = props.get(ADOPT_ID)
    try:
        if adopt_id:
            live = await _adopt(client, org, str(adopt_id), spec, label)
        else:
            fresh = operation.fresh_keys.take(props.get(CREATE_KEY))
            key = str(props[CREATE_KEY]) if fresh else new_create_key()
            live = await client.create_user(org, spec, idempotency_key=key)
    except Unprocessable as error:
        if error.key == "user_email_taken":
            taken = await _email_taken(client, org, spec.email, error, frontend)
            raise UserError(f"{label}: create failed: {taken}") from None
        raise _explain(error, label, "create", client.settings.deployment_url) from None
    except NotFound as error:
        if adopt_id:
            raise UserError(f"{label}: {_no_user(str(adopt_id), org, account)} ({error})") from None
        raise UserError(f"{label}: create failed: {_no_organization(org, account)} ({error})") from None
    except PolytomicError as error:
        raise _explain(error, label, "create", client.settings.deployment_url) from None
    operation.claimed.add(live.id)
    return live.id, _outputs(live, props, account)


async def _adopt(client: AsyncPolytomicClient, org: str, user_id: str, spec: UserSpec, label: str) -> User:
    """Take over the user the program named: one full PUT, only if its roles differ from the program's."""
    live = await client.get_user(org, user_id)
    if live.email.lower() != spec.email.lower():
        raise UserError(
            client.scrub(
                f"{label}: adopt_id {user_id!r} is the user {live.email!r}, not {spec.email!r}: set email "
                f"to the adopted user's address, or adopt_id to the id of the user with this one (an "
                f"adoption is over after the first 'pulumi up': remove adopt_id from the program then)"
            )
        )
    if [item.lower() for item in live.role_ids or []] == spec.role_ids:
        return live
    return await client.update_user(org, user_id, spec)


async def _email_taken(
    client: AsyncPolytomicClient, org: str, email: str, cause: PolytomicError, frontend: Frontend
) -> str:
    """Who holds the address, and the ways out: a delete-first replacement if the holder is the user this
    create replaces, otherwise the exact way to adopt that user (ownership is never inferred)."""
    try:
        holder = next((u for u in await client.list_users(org) if u.email.lower() == email.lower()), None)
    except PolytomicError:
        holder = None
    if holder is None:
        return f"{cause} (no user with this email is listed: try again, or check the email)"
    # The engine checks a replacement again as a new resource (a fresh key), so this may also be a
    # create-first replacement whose old user still holds the email: both ways out are named.
    return client.scrub(
        f"a user with email {email!r} already exists in organization {org} (id {holder.id}), and nothing "
        f"proves it belongs to this stack, so it is left alone. If this create replaces this same resource "
        f"('pulumi up --replace', a replace-on-changes property), that is the user being replaced, still "
        f"holding the email: {frontend.delete_user_first}, or give the replacement another email. "
        f"Otherwise, to manage that user with this resource, {frontend.adopt_user(org, holder.id)}; or "
        f"choose another email"
    )


async def update(
    client: AsyncPolytomicClient, id_: str, news: dict[str, Any], *, olds: dict[str, Any]
) -> dict[str, Any]:
    """PUT the whole payload (email and every role id); returns every output."""
    label = _label(news, id_)
    account = await _account(client, label, "update")
    _refuse_other_account(olds, account, label, "Nothing was changed")
    spec = await _spec(client, news, label)
    try:
        live = await client.update_user(
            str(olds.get("organization_id") or news["organization_id"]), id_, spec
        )
    except NotFound:
        raise UserError(
            f"{label}: update failed: the user no longer exists in Polytomic. Run 'pulumi refresh' to drop "
            f"it from the stack; the next 'pulumi up' creates it again (and sends a new invitation)"
        ) from None
    except PolytomicError as error:
        raise _explain(error, label, "update", client.settings.deployment_url) from None
    return _outputs(live, with_identity_kept(news, olds), account)


IMPORT_ID_FORMS = "<organization id>/<user id> or <organization id>/<email>"


async def import_target(client: AsyncPolytomicClient, import_id: str) -> tuple[str, str]:
    """The (organization id, user id) an import id names, both lower-cased as the API spells them.

    A user is only reached through its organization, so an import id carries both; the second part may be
    the user's email (any case: the API keeps emails unique per organization ignoring case), resolved
    here by listing the organization's users, as Polytomic's Terraform provider does."""
    from .user_models import is_uuid

    org, _, user = import_id.strip().partition("/")
    if not is_uuid(org) or not user or "/" in user:
        raise UserError(
            f"import id {import_id!r} is not {IMPORT_ID_FORMS}: give the organization's id, a slash, then "
            f"the user's id or email"
        )
    if "@" not in user:
        if not is_uuid(user):
            raise UserError(f"import id {import_id!r}: {user!r} is neither a user id (a UUID) nor an email")
        return org.lower(), user.lower()
    try:
        listed = await client.list_users(org)
    except NotFound:
        raise UserError(f"import id {import_id!r}: no organization with id {org}: check the id") from None
    except PolytomicError as error:
        raise _explain(error, f"User {user!r}", "import", client.settings.deployment_url) from None
    match = next((u for u in listed if u.email.lower() == user.lower()), None)
    if match is None:
        raise UserError(
            f"import id {import_id!r}: no user with email {user!r} in organization {org} ({len(listed)} "
            f"users listed): check the email"
        )
    return org.lower(), match.id.lower()


async def read(
    client: AsyncPolytomicClient, id_: str, props: dict[str, Any], *, urn: str = ""
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The live outputs and the inputs to record (None when as stored), or None when a stored user is gone.

    Only a 404 in the account that recorded the user drops it; an id the user named (props without an
    email) that is missing is an error, not "gone". The user is looked up in one list of its
    organization's users per run (user_snapshot.py); one missing from it is confirmed by its own GET."""
    label = _label(props, id_)
    org = props.get("organization_id")
    if not isinstance(org, str):
        raise UserError(f"{label}: read needs the user's organization_id")
    account = await _account(client, label, "read")
    recorded = _refuse_other_account(props, account, label, "Nothing was read or dropped")
    from .user_snapshot import user_snapshot_of

    try:
        live = await user_snapshot_of(client).user(org, id_)  # one list call serves the organization's reads
    except NotFound:
        if props.get("email") is None:
            raise UserError(f"{label}: no user with id {id_!r} in organization {org}: check the id") from None
        if recorded is None or recorded.url != account.url:
            raise UserError(
                f"{label} is not found at {account.url}, and the stack does not record it there: a 404 is no "
                f"proof that it is gone, so it stays in the stack. Restore the settings, or run 'pulumi "
                f"state delete <urn>' if it was deleted outside Pulumi"
            ) from None
        return None  # deleted outside Pulumi, confirmed in its own account: it leaves the stack
    except PolytomicError as error:
        raise _explain(error, label, "read", client.settings.deployment_url) from None
    if props.get("email") is None:  # an id the user named: an import, or a `get` (claims nothing)
        outs = _outputs(live, with_import_identity(props, urn), account)
        # The engine checks an import's inputs, and `check` refuses a bookkeeping key from a program;
        # it records the account itself.
        return outs, {key: outs[key] for key in READ_FIELDS}
    outs = _outputs(live, props, account)
    as_stored = all(_same(field, outs.get(field), props.get(field)) for field in READ_FIELDS)
    as_stored = as_stored and props.get(ACCOUNT) == outs[ACCOUNT]
    inputs = {key: outs[key] for key in (*READ_FIELDS, ACCOUNT)}
    return outs, None if as_stored else inputs


def _same(field: str, live: Any, stored: Any) -> bool:
    if field == ROLE_IDS:
        return [str(i).lower() for i in live or []] == [str(i).lower() for i in stored or []]
    return str(live).lower() == str(stored).lower()


async def delete(
    client: AsyncPolytomicClient, id_: str, props: dict[str, Any], *, operation: ThisOperation
) -> None:
    """Delete the user at partner level; one already gone counts as deleted, and one this operation's
    create made or adopted is the resource's own again, so it is kept. A user that another resource of
    the stack keeps in this run (its diff found no replacement) is left to it: this resource only leaves
    the stack. The resource's own diff never spares it (the engine may replace what its diff kept)."""
    label = _label(props, id_)
    if id_ in operation.claimed:
        return
    if operation.users_kept.spares(id_.lower(), stack_identity("user", id_, props), label=label, kind="user"):
        return
    account = await _account(client, label, "delete")
    _refuse_other_account(props, account, label, "Nothing was deleted")
    try:
        await client.delete_user(str(props["organization_id"]), id_)
    except NotFound:
        pass  # gone already (or with its organization): the goal of a delete is met
    except PolytomicError as error:
        raise _explain(error, label, "delete", client.settings.deployment_url) from None
    operation.claimed.deleted(id_)
