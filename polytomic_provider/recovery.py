"""Recovery after an interrupted `pulumi up`: adopt only what the stack's own pending creates prove.

When a run is killed while a create is in flight, the engine has already written a *pending create* into
the stack's state, holding the checked inputs of that create, and so the `__create_key` its POST was sent
with. Sending the same POST with the same key again makes Polytomic replay the outcome of the lost create
(kept 24 hours): if the organization that holds the name comes back, it is provably this stack's own. Its
pending create is then completed in the state the way the engine would have (`pulumi stack import` of the
export with that operation turned into a resource with the replayed id; `pulumi refresh
--import-pending-creates` is not used because CLI v3.274 drops such imports), and `pulumi refresh` of those
resources reads them from the API. Anything else is left alone and reported with its id and the way to
adopt it by hand.

The steps are pure functions of the stack export and the API, so the plan can be shown before it is
applied (`--dry-run`); nothing secret is printed (the export is read with its secrets only in memory).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .client import PolytomicClient
from .errors import Conflict, PolytomicError
from .fields import ADOPT_ID, CREATE_KEY, FIELDS
from .models import OrganizationSpec
from .ownership import adopt_instructions, find_by_name

__all__ = [
    "ORGANIZATION_TYPES",
    "Outcome",
    "PendingCreate",
    "Resolution",
    "complete_in_state",
    "pending_creates",
    "resolve",
]

ORGANIZATION_TYPES = frozenset(
    {"pulumi-python:dynamic/polytomic:Organization", "polytomic:index:Organization"}
)
_SECRET_SIG = "4dabf18193072939515e22adb298388d"


class Outcome(Enum):
    IMPORT = "import"  # the organization is provably this stack's own: import it
    NOTHING_MADE = "nothing made"  # no organization holds the name: the create never happened; clear it
    NOT_PROVABLE = "not provable"  # an organization holds the name, but nothing proves it is ours: stop


@dataclass(frozen=True)
class PendingCreate:
    """One create the engine started and never saw finish."""

    urn: str
    inputs: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.inputs.get("name") or "")


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


def pending_creates(export: Mapping[str, Any]) -> list[PendingCreate]:
    """The pending creates of organizations in a stack export (`pulumi stack export --show-secrets`)."""
    deployment = export.get("deployment") or {}
    found = []
    for operation in deployment.get("pending_operations") or []:
        resource = operation.get("resource") or {}
        if operation.get("type") != "creating" or resource.get("type") not in ORGANIZATION_TYPES:
            continue
        inputs = {key: _plain(value) for key, value in (resource.get("inputs") or {}).items()}
        found.append(PendingCreate(urn=str(resource.get("urn")), inputs=inputs))
    return found


def resolve(client: PolytomicClient, pending: PendingCreate) -> Resolution:
    """Decide, from proof only, what the interrupted create left behind."""
    adopt_id = pending.inputs.get(ADOPT_ID)
    if adopt_id:
        return Resolution(pending, Outcome.IMPORT, str(adopt_id), "the program names it with adopt_id")
    holder = find_by_name(client, pending.name)
    if holder is None:
        return Resolution(
            pending, Outcome.NOTHING_MADE, None, "no organization holds the name: the create never happened"
        )
    key = pending.inputs.get(CREATE_KEY)
    if not key:
        return Resolution(
            pending,
            Outcome.NOT_PROVABLE,
            holder.id,
            "the pending create records no create key (written by polytomic-pulumi 0.1), so nothing proves "
            f"the organization is this stack's. {adopt_instructions(pending.name, holder.id)}",
        )
    spec = OrganizationSpec.model_validate({f: pending.inputs.get(f) for f in FIELDS})
    try:
        replayed = client.create_organization(spec, idempotency_key=str(key))
    except Conflict:
        return Resolution(
            pending,
            Outcome.NOT_PROVABLE,
            holder.id,
            "the API did not replay the stack's create (another party made it, or the 24-hour replay "
            f"window has passed). {adopt_instructions(pending.name, holder.id)}",
        )
    if replayed.id != holder.id:
        raise PolytomicError(
            f"{pending.urn}: the replayed create answered {replayed.id}, but {holder.id} holds the name; "
            f"the partner account changed while recovering: run the command again"
        )
    return Resolution(pending, Outcome.IMPORT, replayed.id, "the API replayed this stack's own create")


def complete_in_state(export: Mapping[str, Any], resolutions: Iterable[Resolution]) -> dict[str, Any]:
    """The export with each resolved pending create settled: imports become resources, the rest go.

    `export` is the plain `pulumi stack export` (secrets still encrypted), so nothing is decrypted to write
    it back. The new resource's outputs start as its inputs (what the replayed create was sent with); the
    refresh that follows replaces them with what the API holds.
    """
    settled = {r.pending.urn: r for r in resolutions if r.outcome is not Outcome.NOT_PROVABLE}
    result: dict[str, Any] = json.loads(json.dumps(export))
    deployment = result.setdefault("deployment", {})
    kept, resources = [], deployment.setdefault("resources", [])
    for operation in deployment.get("pending_operations") or []:
        resource = operation.get("resource") or {}
        resolution = settled.get(str(resource.get("urn")))
        if operation.get("type") != "creating" or resolution is None:
            kept.append(operation)
            continue
        if resolution.outcome is Outcome.IMPORT:
            inputs = resource.get("inputs") or {}
            outputs = {key: value for key, value in inputs.items() if key != CREATE_KEY}
            resources.append({**resource, "id": resolution.organization_id, "outputs": outputs})
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
