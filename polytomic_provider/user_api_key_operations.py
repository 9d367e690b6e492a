"""The UserApiKey's lifecycle (an API key minted for a user), once, for the front ends: check, diff,
create, read, update, delete. Plain property dicts in and out, spelled like user_api_key_fields.py.

What the API gives: `POST /api/organizations/{org}/users/{id}/keys[?force=true]` answers the key once;
nothing reads it back, lists a user's keys or revokes one. `force=true` revokes every earlier key of the
user first. So:

- The key lives only in the answer and then in the stack's state (a secret there). It is never put in a
  message: the client hands it over wrapped (`config.Secret`) and only the outputs reveal it.
- Create mints under the Idempotency-Key `check` drew, so a retried POST replays the same key instead of
  minting a second one.
- Ownership: keys the stack did not mint are never revoked silently. A first mint is unforced unless the
  program says `force=True`; a mint that replaces a key this stack holds (a rotation through `keepers`,
  `pulumi up --replace`) is forced, since the key it revokes is the stack's own. If the API refuses an
  unforced mint because the user has a key already, the run stops and names the fix.
- Read (refresh) cannot see the key: the state stays as it is, unless the user (or its organization) is
  gone, proven in the account that recorded it; then the key is gone too and leaves the stack.
- Delete sends nothing: there is no revoke call, and a forced mint would revoke keys the stack does not
  own. The key works until the user is deleted or a forced mint replaces it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .accounts import Account, account_of, recorded_account
from .claims import ThisOperation, new_create_key
from .errors import Conflict, NotFound, PolytomicError
from .fields import ACCOUNT, CREATE_KEY
from .hints import failed
from .problems import Problem
from .user_api_key_fields import API_KEY_INPUTS, FORCE, KEEPERS, REPLACING_INPUTS, VALUE

if TYPE_CHECKING:
    from .client import AsyncPolytomicClient

__all__ = [
    "UserApiKeyError",
    "check",
    "check_account",
    "create",
    "delete",
    "diff",
    "note_diff",
    "read",
    "update",
]

_IDS = ("organization_id", "user_id")
_NOT_REPLAYABLE = "api_key_not_replayable"


class UserApiKeyError(PolytomicError):
    """An operation on one user's API key failed; the message names the user and says what to do. It
    never holds the key."""


def _label(props: dict[str, Any]) -> str:
    user, org = props.get("user_id"), props.get("organization_id")
    label = f"API key of user {user}" if isinstance(user, str) else "API key"
    return f"{label} of organization {org}" if isinstance(org, str) else label


def _holder(org: object, user: object) -> str:
    return f"{str(org).lower()}/{str(user).lower()}"


def _explain(error: PolytomicError, label: str, verb: str, deployment_url: str) -> UserApiKeyError:
    return UserApiKeyError(failed(error, label, verb, deployment_url, "API keys"))


def _moved(label: str, recorded: Account, current: Account, nothing: str) -> str:
    return (
        f"{label} is recorded in the partner account {recorded}, but the provider's settings now reach "
        f"another account, {current}. {nothing}. Restore the settings of {recorded.url} (deploymentUrl and "
        f"partnerKey), or run 'pulumi state delete <urn>' to let the stack forget the key"
    )


async def _account(client: AsyncPolytomicClient, label: str, verb: str) -> Account:
    try:
        return await account_of(client)
    except PolytomicError as error:
        raise _explain(error, label, verb, client.settings.deployment_url) from None


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

    Values not known yet (preview) pass unchecked. A key not yet in the stack gets a create key (the
    mint's Idempotency-Key); one in the stack keeps its own and notes its user in the operation, so that
    the mint of its replacement may revoke it."""
    from .user_models import is_uuid

    failures: list[Problem] = []
    for name, value in news.items():
        if name.startswith("__") or value is None or unknown(value):
            continue
        if name == VALUE:
            failures.append(Problem(name, "value is an output (the minted key): leave it out"))
        elif name not in API_KEY_INPUTS:
            failures.append(Problem(name, f"{name} is not a property of UserApiKey: leave it out"))
    for name in _IDS:
        value = news.get(name)
        if value is None:
            failures.append(Problem(name, f"{name} is required"))
        elif not unknown(value) and not is_uuid(value):
            failures.append(
                Problem(name, f"{name} must be an id, a UUID such as 248df4b7-aa70-47b8-a036-33ac447e668d")
            )
    keepers = news.get(KEEPERS)
    if keepers is not None and not unknown(keepers) and not _string_map(keepers, unknown):
        failures.append(Problem(KEEPERS, "keepers must be a map of strings, such as {'rotated': '2026-12'}"))
    force = news.get(FORCE)
    if force is not None and not unknown(force) and not isinstance(force, bool):
        failures.append(Problem(FORCE, "force must be True or False"))
    failures += problems
    checked = dict(news)
    for name in _IDS:
        if isinstance(checked.get(name), str) and is_uuid(checked[name]):
            checked[name] = checked[name].lower()
    if olds:
        if all(isinstance(olds.get(name), str) for name in _IDS):
            operation.api_keys_in_stack.add(_holder(olds["organization_id"], olds["user_id"]))
        if CREATE_KEY in olds:
            checked[CREATE_KEY] = olds[CREATE_KEY]
    else:
        checked[CREATE_KEY] = operation.fresh_keys.draw()
    return checked, failures


def _string_map(value: object, unknown: Callable[[Any], bool]) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and (isinstance(v, str) or unknown(v)) for k, v in value.items()
    )


async def check_account(
    client: AsyncPolytomicClient,
    olds: dict[str, Any],
    checked: dict[str, Any],
    *,
    unknown: Callable[[Any], bool],
) -> list[Problem]:
    """The second half of `check`, for inputs without problems: record the account, refuse a key recorded
    in another one, and, for a key not in the stack yet, prove that its user exists."""
    label = _label(olds or checked)
    try:
        account = await account_of(client)
    except PolytomicError as error:
        return [Problem("", str(_explain(error, label, "check", client.settings.deployment_url)))]
    recorded = recorded_account(olds)
    if recorded is not None and not recorded.same_as(account):
        return [Problem("", _moved(label, recorded, account, "Nothing will be changed"))]
    checked[ACCOUNT] = account.recorded
    org, user = checked.get("organization_id"), checked.get("user_id")
    if olds or not isinstance(org, str) or not isinstance(user, str) or unknown(org) or unknown(user):
        return []  # in the stack, or the user of this same `up` (checked at create)
    try:
        await client.get_user(org, user)
    except NotFound:
        return [Problem("user_id", _no_user(user, org, account))]
    except PolytomicError:
        pass  # the mint meets it again, and says so
    return []


def _no_user(user: str, org: str, account: Account) -> str:
    return (
        f"user_id {user} names no user of organization {org} in the partner account {account}: pass the "
        f"User resource's id (get_users(organization_id=...) lists them)"
    )


def note_diff(operation: ThisOperation, id_: str, olds: dict[str, Any], replaces: list[str]) -> None:
    """For `diff`: a key that is not replaced stays the user's key through this run, so a new resource's
    mint for the same user (forced, since the stack holds a key of that user) must not revoke it; a later
    diff of the same resource that replaces it lets it go."""
    holder = _holder(olds.get("organization_id"), olds.get("user_id"))
    operation.api_keys_kept.note(holder, id_, kept=not replaces)


def diff(
    olds: dict[str, Any], news: dict[str, Any], *, unknown: Callable[[Any], bool]
) -> tuple[list[str], list[str]]:
    """The changed inputs and, of those, the ones that replace the key: all of them but `force`, which is
    read at the first mint only, so a change of it alone is no change."""
    changed: list[str] = []
    for name in _IDS:
        new = news.get(name)
        if unknown(new) or str(new).lower() != str(olds.get(name, "")).lower():
            changed.append(name)
    new_keepers = news.get(KEEPERS)
    if unknown(new_keepers) or (new_keepers or {}) != (olds.get(KEEPERS) or {}):
        changed.append(KEEPERS)
    return changed, [name for name in changed if name in REPLACING_INPUTS]


# -- operations ----------------------------------------------------------------------------------------------


def _outputs(props: dict[str, Any], value: str, account: Account) -> dict[str, Any]:
    return {
        "organization_id": str(props["organization_id"]).lower(),
        "user_id": str(props["user_id"]).lower(),
        KEEPERS: dict(props.get(KEEPERS) or {}),
        FORCE: bool(props.get(FORCE)),
        VALUE: value,
        ACCOUNT: account.recorded,
    }


async def create(
    client: AsyncPolytomicClient, props: dict[str, Any], *, operation: ThisOperation
) -> tuple[str, dict[str, Any]]:
    """Mint the key (one key however often the POST is retried); returns the resource's id (the user's id
    and the mint's Idempotency-Key, never the key) and every output, the key in `value`."""
    label = _label(props)
    org, user = str(props["organization_id"]), str(props["user_id"])
    account = await _account(client, label, "mint")
    recorded = recorded_account(props)
    if recorded is not None and not recorded.same_as(account):
        raise UserApiKeyError(_moved(label, recorded, account, "Nothing was minted"))
    if _holder(org, user) in operation.api_keys_kept:
        raise UserApiKeyError(
            f"{label}: mint refused: another UserApiKey of this stack holds this user's key and keeps it in "
            f"this run, and a user has one API key at a time: this mint would revoke that key while the "
            f"stack still records it as working. Remove one of the two resources (to rotate the key, change "
            f"the keepers of the one that stays). Nothing was minted"
        )
    replacing = _holder(org, user) in operation.api_keys_in_stack
    force = replacing or props.get(FORCE) is True
    fresh = operation.fresh_keys.take(props.get(CREATE_KEY))
    key = str(props[CREATE_KEY]) if fresh else new_create_key()
    try:
        minted = await client.mint_user_api_key(org, user, force=force, idempotency_key=key)
    except NotFound as error:
        raise UserApiKeyError(
            f"{label}: mint failed: {_no_user(user, org, account)} ({error}). Nothing was minted"
        ) from None
    except Conflict as error:
        if error.key == _NOT_REPLAYABLE:
            raise UserApiKeyError(
                f"{label}: mint failed: the key minted under this create's Idempotency-Key was shown once "
                f"and its answer was lost ({error}). Nothing is in the stack: run 'pulumi up' again to mint "
                f"another. The lost key stays valid until a forced mint (a rotation through keepers, or "
                f"force=True) or the user's deletion"
            ) from None
        if force or error.key in {"idempotency_key_in_use", "idempotency_key_reused"}:
            raise _explain(error, label, "mint", client.settings.deployment_url) from None
        raise UserApiKeyError(f"{label}: mint failed: {_has_key(error)}") from None
    except PolytomicError as error:
        raise _explain(error, label, "mint", client.settings.deployment_url) from None
    id_ = f"{user.lower()}/{key}"
    return id_, _outputs(props, minted.reveal(), account)


def _has_key(cause: PolytomicError) -> str:
    return (
        f"the API refused to mint a second key for this user ({cause}): the user has an API key that this "
        f"stack did not mint, and nothing proves it belongs to the stack, so it is left alone. To revoke it "
        f"and let the stack own the user's key, add force=True to the UserApiKeyArgs (whatever uses the "
        f"old key stops working) and run 'pulumi up'; otherwise keep using the existing key outside Pulumi"
    )


async def update(
    client: AsyncPolytomicClient, id_: str, news: dict[str, Any], *, olds: dict[str, Any]
) -> dict[str, Any]:
    """Nothing to send (every input that matters replaces the key): the stored outputs, with the new
    `force` and bookkeeping recorded."""
    del client, id_
    outs = dict(olds)
    outs[FORCE] = bool(news.get(FORCE))
    return outs


async def read(
    client: AsyncPolytomicClient, id_: str, props: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The stored outputs as they are (the API never shows a key again), or None when the key's user, or
    its organization, is gone, proven in the account that recorded the key: its keys went with it."""
    label = _label(props)
    org, user = props.get("organization_id"), props.get("user_id")
    if not isinstance(org, str) or not isinstance(user, str) or not isinstance(props.get(VALUE), str):
        raise UserApiKeyError(
            f"{label} ({id_}): an API key cannot be read from Polytomic (it is shown once, when minted), so "
            f"it cannot be looked up or imported: declare a UserApiKey to mint one"
        )
    account = await _account(client, label, "read")
    recorded = recorded_account(props)
    if recorded is not None and not recorded.same_as(account):
        raise UserApiKeyError(_moved(label, recorded, account, "Nothing was read or dropped"))
    try:
        await client.get_user(org, user)
    except NotFound:
        if recorded is None or recorded.url != account.url:
            raise UserApiKeyError(
                f"{label}: the user is not found at {account.url}, and the stack does not record the key "
                f"there: a 404 is no proof that it is gone, so the key stays in the stack. Restore the "
                f"settings, or run 'pulumi state delete <urn>' if the user was deleted outside Pulumi"
            ) from None
        return None  # the user (or its organization) was deleted, and its keys with it
    except PolytomicError as error:
        raise _explain(error, label, "read", client.settings.deployment_url) from None
    return dict(props), None


async def delete(client: AsyncPolytomicClient, id_: str, props: dict[str, Any]) -> None:
    """Nothing is sent: the API has no call that revokes one key, and a forced mint would revoke the user's
    other keys too (and leave a new one). The key works until its user is deleted or a forced mint."""
    del client, id_, props
