"""Recovery after an interrupted `pulumi up`: settle the stack's pending creates by proof only.

When a run is killed while a create is in flight, the engine has already written a *pending create* into
the stack's state, holding the checked inputs of that create and so, for the first create of a new
resource, the `__create_key` its POST was sent with (a key nothing else ever sends). Sending the same POST
with that key again is the same create operation: Polytomic replays its outcome (kept 24 hours), or, if
the first POST never arrived, makes the organization now. Either way what comes back is provably the
stack's own, and it is written into the state where the engine would have written it.

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
from .errors import Conflict, PolytomicError, Unprocessable
from .fields import ADOPT_ID, CREATE_KEY, FIELDS
from .frontend import DYNAMIC_TYPE, PLUGIN_TYPE, Frontend, frontend_of, snake_case
from .models import OrganizationSpec

__all__ = [
    "ORGANIZATION_TYPES",
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
    """One create the engine started and never saw finish, with the stack's entry of the same URN."""

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
    def fields(self) -> dict[str, Any]:
        """The create's fields as the core spells them, whichever front end recorded them."""
        return {snake_case(key): value for key, value in self.inputs.items()}

    @property
    def frontend(self) -> Frontend:
        return frontend_of(self.resource_type)


@dataclass(frozen=True)
class Resolution:
    pending: PendingCreate
    outcome: Outcome
    organization_id: str | None
    reason: str

    def describe(self) -> str:
        target = f" -> {self.organization_id}" if self.organization_id else ""
        return f"{self.outcome.value}: {self.pending.urn} ({self.pending.name!r}){target}: {self.reason}"


def _plain(value: Any) -> Any:
    """A property value of `pulumi stack export --show-secrets`, with its secret wrapper taken off."""
    if isinstance(value, dict) and value.get(_SECRET_SIG) is not None:
        if "plaintext" in value:
            return json.loads(value["plaintext"])
        return _plain(value.get("value"))
    return value


def _is_ours(operation: Mapping[str, Any]) -> bool:
    """A pending create of an organization, under any provider: each is settled in its own account."""
    resource = operation.get("resource") or {}
    return operation.get("type") == "creating" and resource.get("type") in ORGANIZATION_TYPES


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
    """The pending creates of organizations in a stack export (`pulumi stack export --show-secrets`)."""
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


def complete_in_state(export: Mapping[str, Any], resolutions: Iterable[Resolution]) -> dict[str, Any]:
    """The export with every organization's pending create settled, as the engine would have settled it.

    `export` is the plain `pulumi stack export` (secrets still encrypted), so nothing is decrypted to write
    it back. An import becomes a resource whose outputs start as its inputs (what the create was sent
    with; the refresh that follows reads the API), in place of the entry of the organization it replaced
    if there is one. Every other pending create of an organization is dropped.
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
