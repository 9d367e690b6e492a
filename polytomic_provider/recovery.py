"""Recovery after an interrupted `pulumi up`: settle the stack's pending creates by proof only.

When a run is killed while a create is in flight, the engine has already written a *pending create* into
the stack's state, holding the checked inputs of that create and so, for the first create of a new
resource, the `__create_key` its POST was sent with (a key nothing else ever sends). Sending the same POST
with that key again is the same create operation: Polytomic replays its outcome (kept 24 hours), or, if
the first POST never arrived, makes the organization now. Either way what comes back is provably the
stack's own, and it is written into the state where the engine would have written it.

A user's pending create (the dynamic `User` or the plugin's `polytomic:index:User`) is settled the same
way: the same POST to its organization's users, with the same body (the email as declared and the role ids
`check` resolved) and the same key, so the API replays the one user it made, and its one invitation, or
makes it now. A user the replay cannot prove (no key, a spent key, a refused replay) is looked up by email
and named with its id and the exact way to adopt it (`adopt_id`, or `pulumi import <org>/<user id>`).

Everything else is left to the user, named with its id: a pending create holding the key its resource
in the state was created with (that key was spent, so the create sent a private key instead: this is
`pulumi up --replace`, which keeps the inputs checked with the stored key; any other replacement is
checked again without its old inputs, draws a key of its own, and is replayed like a first create), a
pending create from polytomic-pulumi 0.1 (no key), and a key the API will not replay. An adoption's
pending create is simply dropped: the next `up` adopts again if the program still names the id.

Each pending create is settled in its own provider's account: one of the default provider (the dynamic
provider's, or the plugin's default) with the stack's config, one of an explicit provider resource with
that provider's inputs as the state holds them. When a create's provider settings cannot be read, recover
names it and stops before sending or writing anything: it is never sent to another account.

The decisions are pure functions of the stack export and the API, so `--dry-run` can show them without
writing anything, anywhere; nothing secret is printed (the export is read with its secrets only in memory).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .accounts import recorded_account
from .client import PolytomicClient
from .errors import Conflict, Forbidden, NotFound, PolytomicError, Unauthorized, Unprocessable
from .fields import ADOPT_ID, CREATE_KEY, FIELDS
from .frontend import (
    DYNAMIC,
    DYNAMIC_TYPE,
    PLUGIN,
    PLUGIN_TYPE,
    USER_PLUGIN_TYPE,
    Frontend,
    camel_case,
    snake_case,
)
from .models import OrganizationSpec
from .user_fields import DEFAULT_ROLE, ROLE, USER_FIELDS

__all__ = [
    "ORGANIZATION_TYPES",
    "USER_TYPES",
    "Outcome",
    "PendingCreate",
    "Resolution",
    "complete_in_state",
    "is_default_provider",
    "pending_creates",
    "provider_inputs",
    "resolve",
    "unsettled_operations",
]

ORGANIZATION_TYPES = frozenset({DYNAMIC_TYPE, PLUGIN_TYPE})
DYNAMIC_USER_TYPE = "pulumi-python:dynamic/polytomic:User"
USER_TYPES = frozenset({DYNAMIC_USER_TYPE, USER_PLUGIN_TYPE})
_PLUGIN_TYPES = frozenset({PLUGIN_TYPE, USER_PLUGIN_TYPE})
_USER_SNAKE = {camel_case(field): field for field in USER_FIELDS}
_SECRET_SIG = "4dabf18193072939515e22adb298388d"


class Outcome(Enum):
    IMPORT = "import"  # provably this stack's own: written into the state
    CLEAR = "clear"  # nothing to take over: the pending create is dropped, and `up` does the rest
    NOT_PROVABLE = "not provable"  # an organization nothing proves is ours: dropped, named, left alone
    IN_FLIGHT = "in flight"  # the API is still executing the create: run recover again shortly
    WOULD_REPLAY = "would replay"  # --dry-run: the create would be sent again with its own key


BLOCKING = frozenset({Outcome.IN_FLIGHT})


@dataclass(frozen=True)
class PendingCreate:
    """One create (of an organization or a user) the engine started and never saw finish, with the stack's
    entry of the same URN."""

    urn: str
    inputs: Mapping[str, Any]
    in_state: Mapping[str, Any] | None = None
    resource_type: str = DYNAMIC_TYPE
    provider: str = ""
    """The provider reference (`<provider urn>::<id>`); empty or a default provider's: the stack's config."""

    @property
    def name(self) -> str:
        return str(self.inputs.get("name") or "")

    @property
    def is_user(self) -> bool:
        return self.resource_type in USER_TYPES

    @property
    def resource_name(self) -> str:
        """The resource's name in the program (the URN's last part)."""
        return self.urn.rpartition("::")[2]

    @property
    def label(self) -> str:
        """What a message calls it: the organization's name, or the user's email and organization."""
        if self.is_user:
            fields = self.fields
            return f"user {fields.get('email')!r} of organization {fields.get('organization_id')}"
        return repr(self.name)

    @property
    def fields(self) -> dict[str, Any]:
        """The create's fields as the core spells them, whichever front end recorded them."""
        if self.is_user:
            return {_USER_SNAKE.get(key, key): value for key, value in self.inputs.items()}
        return {snake_case(key): value for key, value in self.inputs.items()}

    @property
    def frontend(self) -> Frontend:
        return PLUGIN if self.resource_type in _PLUGIN_TYPES else DYNAMIC


@dataclass(frozen=True)
class Resolution:
    pending: PendingCreate
    outcome: Outcome
    organization_id: str | None
    """The id of the organization, or of the user, that the outcome names (None when there is none)."""
    reason: str

    def describe(self) -> str:
        target = f" -> {self.organization_id}" if self.organization_id else ""
        return f"{self.outcome.value}: {self.pending.urn} ({self.pending.label}){target}: {self.reason}"


def _plain(value: Any) -> Any:
    """A property value of `pulumi stack export --show-secrets`, with its secret wrapper taken off."""
    if isinstance(value, dict) and value.get(_SECRET_SIG) is not None:
        if "plaintext" in value:
            return json.loads(value["plaintext"])
        return _plain(value.get("value"))
    return value


def _is_ours(operation: Mapping[str, Any]) -> bool:
    """A pending create of an organization or a user, under any provider: each is settled in its own
    account."""
    resource = operation.get("resource") or {}
    return operation.get("type") == "creating" and resource.get("type") in ORGANIZATION_TYPES | USER_TYPES


# The names the engine gives default providers (pkg/resource/deploy/providers, ProviderRequest.DefaultName):
# `default`, or `default_<major>_<minor>_<patch>`, then `_<pre-release part>`s, `_<build part>`s and the
# plugin download URL as a name. An explicit provider named `defaultEu` or `default_eu` is not one.
_DEFAULT_PROVIDER_NAME = re.compile(r"default(_\d+_\d+_\d+(_.*)?)?")


def is_default_provider(reference: str) -> bool:
    """`urn:...::pulumi:providers:polytomic::default_0_2_0::<id>` is; an empty reference is one too."""
    if not reference:
        return True
    parts = reference.split("::")
    return (
        len(parts) >= 3
        and parts[-3].startswith("pulumi:providers:")
        and _DEFAULT_PROVIDER_NAME.fullmatch(parts[-2]) is not None
    )


def provider_inputs(export: Mapping[str, Any], reference: str) -> dict[str, Any] | None:
    """The inputs of the provider resource a reference names, as `stack export --show-secrets` holds them
    (its settings when the create was sent), or None when the state has no such provider."""
    urn, _, provider_id = reference.rpartition("::")
    for resource in (export.get("deployment") or {}).get("resources") or []:
        if resource.get("urn") == urn and str(resource.get("id")) == provider_id:
            return {key: _plain(value) for key, value in (resource.get("inputs") or {}).items()}
    return None


def unsettled_operations(export: Mapping[str, Any]) -> list[str]:
    """Pending operations `recover` does not settle (`pulumi stack import` would drop them silently)."""
    operations = (export.get("deployment") or {}).get("pending_operations") or []
    return [
        f"{op.get('type')} {(op.get('resource') or {}).get('urn')}" for op in operations if not _is_ours(op)
    ]


def pending_creates(export: Mapping[str, Any]) -> list[PendingCreate]:
    """The pending creates of organizations and users in a stack export (`pulumi stack export
    --show-secrets`)."""
    deployment = export.get("deployment") or {}
    by_urn = {str(r.get("urn")): r for r in deployment.get("resources") or []}
    found = []
    for operation in deployment.get("pending_operations") or []:
        if not _is_ours(operation):
            continue
        resource = operation["resource"]
        urn = str(resource.get("urn"))
        inputs = {key: _plain(value) for key, value in (resource.get("inputs") or {}).items()}
        found.append(
            PendingCreate(
                urn=urn,
                inputs=inputs,
                in_state=by_urn.get(urn),
                resource_type=str(resource.get("type")),
                provider=str(resource.get("provider") or ""),
            )
        )
    return found


def resolve(client: PolytomicClient, pending: PendingCreate, *, replay: bool = True) -> Resolution:
    """Decide, from proof only, what an interrupted create left behind."""
    if pending.inputs.get(ADOPT_ID):
        return Resolution(
            pending,
            Outcome.CLEAR,
            None,
            "an adoption, not a create: the next 'pulumi up' adopts again if the program still names the id",
        )
    refused = _recorded_elsewhere(client, pending)
    if refused is not None:
        return refused
    if pending.is_user:
        return _resolve_user(client, pending, replay=replay)
    key = pending.inputs.get(CREATE_KEY)
    in_state = pending.in_state
    spent = bool(key) and in_state is not None and (in_state.get("inputs") or {}).get(CREATE_KEY) == key
    if not key or spent:
        return _without_proof(
            client, pending, "a replacement's create" if spent else "no create key recorded"
        )
    if not replay:
        return Resolution(pending, Outcome.WOULD_REPLAY, None, "would send the create again with its own key")
    spec = OrganizationSpec.model_validate({f: pending.fields.get(f) for f in FIELDS})
    try:
        made = client.create_organization(spec, idempotency_key=str(key))
    except Conflict as error:
        if "idempotency" in f"{error.key} {error.api_message}".lower():
            return Resolution(pending, Outcome.IN_FLIGHT, None, f"{error}: run recover again in a minute")
        return _without_proof(client, pending, "the API did not replay the stack's create")
    except Unprocessable as error:
        return Resolution(
            pending, Outcome.NOT_PROVABLE, None, f"the API refused to replay the create: {error}"
        )
    if in_state is None or in_state.get("pendingReplacement"):
        return Resolution(pending, Outcome.IMPORT, made.id, "the stack's own create, sent again with its key")
    if in_state.get("id") == made.id:
        return Resolution(pending, Outcome.CLEAR, made.id, "the stack already holds this organization")
    return Resolution(
        pending,
        Outcome.NOT_PROVABLE,
        made.id,
        f"the interrupted run made this organization, but the stack holds {in_state.get('id')} for the "
        f"resource, so {made.id} belongs to no resource: delete it in Polytomic, or adopt it into another "
        f"resource. {pending.frontend.adopt(pending.name, made.id)}",
    )


def _recorded_elsewhere(client: PolytomicClient, pending: PendingCreate) -> Resolution | None:
    """A create checked for another account than these settings reach: nothing is sent or looked up there
    (not even a name, which would name another account's organization)."""
    recorded = recorded_account(dict(pending.inputs))
    if recorded is None:
        return None
    reached = client.account()
    if recorded.same_as(reached):
        return None
    return Resolution(
        pending,
        Outcome.NOT_PROVABLE,
        None,
        f"the create was checked for the partner account {recorded}, but these settings reach "
        f"{reached}: nothing was sent. Run recover with the settings of {recorded.url}",
    )


def _without_proof(client: PolytomicClient, pending: PendingCreate, why: str) -> Resolution:
    """A create with no key of its own: a name proves nothing, so a holder is named and left alone."""
    holder = client.find_by_name(pending.name)
    if holder is None:
        return Resolution(pending, Outcome.CLEAR, None, f"{why}, and no organization holds the name")
    in_state = pending.in_state
    if in_state is not None and in_state.get("id") == holder.id and not in_state.get("pendingReplacement"):
        return Resolution(pending, Outcome.CLEAR, holder.id, "the stack already holds this organization")
    advice = pending.frontend.adopt(pending.name, holder.id)
    if in_state is not None:
        advice = (
            f"The stack still has an entry for this resource (id {in_state.get('id')}): to adopt the "
            f"organization, first run 'pulumi state delete {pending.urn!r}'. Then: {advice}"
        )
    return Resolution(
        pending, Outcome.NOT_PROVABLE, holder.id, f"{why}, so nothing proves it is ours. {advice}"
    )


def _resolve_user(client: PolytomicClient, pending: PendingCreate, *, replay: bool) -> Resolution:
    """A user's create, sent again to its organization with its own key and the body it was sent with:
    the API replays the user it made (one user, one invitation) or makes it now; nothing else is proof."""
    from .user_models import UserSpec
    from .user_operations import desired_role_ids
    from .user_roles import RoleNotFound

    key = pending.inputs.get(CREATE_KEY)
    in_state = pending.in_state
    spent = bool(key) and in_state is not None and (in_state.get("inputs") or {}).get(CREATE_KEY) == key
    if not key or spent:
        return _user_without_proof(
            client, pending, "a replacement's create" if spent else "no create key recorded"
        )
    if not replay:
        return Resolution(pending, Outcome.WOULD_REPLAY, None, "would send the create again with its own key")
    fields = pending.fields
    organization = str(fields.get("organization_id") or "")
    try:
        # The role ids `check` resolved are in the inputs; resolved now only if it could not (as create does).
        role_ids = desired_role_ids(fields)
        if role_ids is None:
            role_ids = _role_ids(client, organization, str(fields.get(ROLE) or DEFAULT_ROLE))
            if role_ids is None:
                return _organization_gone(pending, organization)
        spec = UserSpec(email=str(fields.get("email")), role_ids=role_ids)
        made = client.create_user(organization, spec, idempotency_key=str(key))
    except RoleNotFound as error:
        return _user_without_proof(client, pending, f"the create cannot be sent again as it was ({error})")
    except Conflict as error:
        if "idempotency" in f"{error.key} {error.api_message}".lower():
            return Resolution(pending, Outcome.IN_FLIGHT, None, f"{error}: run recover again in a minute")
        return _user_without_proof(client, pending, "the API did not replay the stack's create")
    except Unprocessable as error:
        return _user_without_proof(client, pending, f"the API refused to replay the create ({error})")
    except NotFound:
        return _organization_gone(pending, organization)
    if in_state is None or in_state.get("pendingReplacement"):
        return Resolution(pending, Outcome.IMPORT, made.id, "the stack's own create, sent again with its key")
    if in_state.get("id") == made.id:
        return Resolution(pending, Outcome.CLEAR, made.id, "the stack already holds this user")
    return Resolution(
        pending,
        Outcome.NOT_PROVABLE,
        made.id,
        f"the interrupted run made this user ({spec.email!r}), but the stack holds {in_state.get('id')} for "
        f"the resource, so {made.id} belongs to no resource: delete it in Polytomic, or "
        f"{_adopt_user(pending, made.id)}",
    )


def _role_ids(client: PolytomicClient, organization: str, role: str) -> list[str] | None:
    """The ids of the declared role, as create resolves it; None when the organization is gone (its
    roles list, asked as a caller of the organization, is refused then rather than answered 404)."""
    try:
        return client.resolve_role(organization, role)
    except (NotFound, Unauthorized, Forbidden):
        try:
            client.get_organization(organization)
        except NotFound:
            return None
        raise


def _organization_gone(pending: PendingCreate, organization: str) -> Resolution:
    return Resolution(
        pending,
        Outcome.CLEAR,
        None,
        f"organization {organization} no longer exists, and its users went with it: nothing to take over",
    )


def _adopt_user(pending: PendingCreate, user_id: str) -> str:
    """The exact way to bring this user under the pending create's resource, for its front end."""
    organization = str(pending.fields.get("organization_id") or "")
    how = pending.frontend.adopt_user(organization, user_id).replace("<resource name>", pending.resource_name)
    return f"to manage it with resource {pending.resource_name!r}, {how}"


def _user_without_proof(client: PolytomicClient, pending: PendingCreate, why: str) -> Resolution:
    """A user's create that no replay proves: the user holding its email is named and left alone."""
    fields = pending.fields
    organization, email = str(fields.get("organization_id") or ""), str(fields.get("email") or "")
    try:
        users = client.list_users(organization)
    except NotFound:
        return _organization_gone(pending, organization)
    holder = next((user for user in users if user.email.lower() == email.lower()), None)
    if holder is None:
        return Resolution(
            pending, Outcome.CLEAR, None, f"{why}, and no user of organization {organization} has the email"
        )
    in_state = pending.in_state
    if in_state is not None and in_state.get("id") == holder.id and not in_state.get("pendingReplacement"):
        return Resolution(pending, Outcome.CLEAR, holder.id, "the stack already holds this user")
    advice = _adopt_user(pending, holder.id)
    if in_state is not None:
        advice = (
            f"the stack still has an entry for this resource (id {in_state.get('id')}): first run 'pulumi "
            f"state delete {pending.urn!r}', then, {advice}"
        )
    return Resolution(
        pending,
        Outcome.NOT_PROVABLE,
        holder.id,
        f"{why}, so nothing proves that user {holder.id} ({holder.email!r}) is ours: it is left alone. "
        f"If it is, {advice}; otherwise delete it in Polytomic, or change the email, and run 'pulumi up'",
    )


def complete_in_state(export: Mapping[str, Any], resolutions: Iterable[Resolution]) -> dict[str, Any]:
    """The export with every pending create of an organization or a user settled, as the engine would have
    settled it.

    `export` is the plain `pulumi stack export` (secrets still encrypted), so nothing is decrypted to write
    it back. An import becomes a resource whose outputs start as its inputs (what the create was sent
    with; the refresh that follows reads the API), in place of the entry of the resource it replaced if
    there is one. Every other pending create of an organization or a user is dropped.
    """
    imports = {r.pending.urn: r.organization_id for r in resolutions if r.outcome is Outcome.IMPORT}
    result: dict[str, Any] = json.loads(json.dumps(export))
    deployment = result.setdefault("deployment", {})
    resources = deployment.setdefault("resources", [])
    kept = []
    for operation in deployment.get("pending_operations") or []:
        if not _is_ours(operation):
            kept.append(operation)
            continue
        resource = operation["resource"]
        organization_id = imports.get(str(resource.get("urn")))
        if organization_id is None:
            continue
        inputs = resource.get("inputs") or {}
        outputs = {key: value for key, value in inputs.items() if key != CREATE_KEY}
        completed = {**resource, "id": organization_id, "outputs": outputs}
        position = next(
            (i for i, r in enumerate(resources) if r.get("urn") == resource.get("urn")), len(resources)
        )
        resources[position : position + 1] = [completed]
    deployment["pending_operations"] = kept
    return result


def run_pulumi(arguments: Sequence[str], cwd: str | None) -> str:
    """Run the Pulumi CLI and return its standard output; its own error text on failure."""
    try:
        completed = subprocess.run(
            ["pulumi", *arguments], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise PolytomicError("the Pulumi CLI ('pulumi') is not on PATH") from None
    if completed.returncode != 0:
        command = " ".join(a for a in arguments if a != "--show-secrets")
        raise PolytomicError(
            f"'pulumi {command}' exited {completed.returncode}: {completed.stderr.strip()[-2000:]}"
        )
    return completed.stdout
