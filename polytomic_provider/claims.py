"""What one operation (one `pulumi up`, `preview`, `refresh` or `destroy`) has claimed so far.

A provider process serves one operation, and every call of that operation must see what the others did: a
delete spares what a create of the same operation adopted, a create knows whether its key was drawn by this
operation's `check`, and two resources naming one organization are caught. That memory belongs to the
provider runtime that serves the operation (`ProviderRuntime.operation`), never to module globals: the
plugin's runtimes each keep their own, and tests begin a new operation explicitly.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from .fields import ADOPT_ID, CREATE_KEY
from .frontend import shown_name

__all__ = [
    "ClaimedThisRun",
    "FreshKeys",
    "Holder",
    "KeptThisRun",
    "ThisOperation",
    "new_create_key",
    "stack_identity",
    "with_identity_kept",
    "with_import_identity",
]

_log = logging.getLogger(__name__)


def new_create_key() -> str:
    """A fresh Idempotency-Key (documented alphabet [A-Za-z0-9_-], 8-255 characters) for one create."""
    return f"pulumi-create-{uuid.uuid4().hex}"


def stack_identity(kind: str, object_id: str, props: dict[str, Any]) -> str:
    """Which resource of the stack holds the `kind` (`organization`, `user`) with this id, the same in its
    diff and its delete within a run (both read the stored outputs), so that two resources holding one
    object are told apart: the create key its outputs record (set at create, adoption or import, carried
    through update and read), in both front ends. Not the plugin's URN: the engine diffs a renamed
    resource (an alias) under its new URN and deletes its old self under the old one, so a forced
    replacement's delete would pass for another resource's. State written before the outputs recorded a
    key falls back to the object's id: one resource still yields one key, but two such twins cannot be told
    apart."""
    key = props.get(CREATE_KEY)
    return f"stack-{kind}:{key}" if isinstance(key, str) and key else f"stack-{kind}:{object_id.lower()}"


def with_identity_kept(news: dict[str, Any], olds: dict[str, Any] | None) -> dict[str, Any]:
    """An update's inputs with the identity its stored outputs record (`stack_identity`), when the inputs
    lack it: a refresh rewrites the inputs from the live object, and the identity must stay."""
    key = (olds or {}).get(CREATE_KEY)
    return {**news, CREATE_KEY: key} if CREATE_KEY not in news and isinstance(key, str) else news


def with_import_identity(props: dict[str, Any], urn: str) -> dict[str, Any]:
    """The stored properties of a resource the plugin reads by an id the user named (`pulumi import`, an
    `import` option, or a `get` reference: the engine sends all three alike), given an identity of its own
    (`stack_identity`) recorded in its outputs and never sent as an Idempotency-Key. Made from the URN,
    so a `get` read on every run records the same key (a new one each run would rewrite the state); once
    recorded, it stays with the resource, renamed or not. The dynamic provider's named reads are `get`
    references only (its import is `adopt_id`), which are never deleted and need none."""
    if not urn:
        return props
    digest = hashlib.sha256(urn.encode()).hexdigest()[:32]
    return {**props, CREATE_KEY: f"pulumi-import-{digest}"}


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


class KeptThisRun:
    """What resources of the stack keep in this run (an organization, a user, a user's API key), by what is
    kept and by the resource that keeps it.

    A diff that finds no replacement keeps it; a later diff of the same resource that replaces it lets it
    go (the engine may diff a resource twice in one run: as a dependent of a delete-first replacement,
    then as itself). The resource is told apart by a key the same in its diff and its delete: its
    `stack_identity` for organizations and users, its resource id for API keys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, set[str]] = {}

    def note(self, holder: str, resource: str, *, kept: bool) -> None:
        with self._lock:
            resources = self._kept.setdefault(holder, set())
            if kept:
                resources.add(resource)
            else:
                resources.discard(resource)

    def __contains__(self, holder: object) -> bool:
        with self._lock:
            return isinstance(holder, str) and bool(self._kept.get(holder))

    def by_another(self, holder: str, resource: str) -> bool:
        """Whether a resource other than `resource` keeps `holder` in this run. The resource's own diff
        never counts: the engine may still replace a resource its diff kept (`replace_on_changes` with a
        delete-first replacement), and then its delete must go ahead."""
        with self._lock:
            return bool(self._kept.get(holder, set()) - {resource})

    def spares(self, holder: str, resource: str, *, label: str, kind: str) -> bool:
        """For a delete: whether it must leave `holder` (a `kind`'s id) to another resource of the stack
        that keeps it in this run (`by_another`); says so in a warning. A targeted `up` or a CLI `pulumi
        import` diffs no other resource, so two resources can come to hold one object; removing one of them
        must not delete what the other holds."""
        if not self.by_another(holder, resource):
            return False
        _log.warning(
            "%s: not deleted: another resource of this stack holds this %s and keeps it in this run; "
            "this resource only leaves the stack",
            label,
            kind,
        )
        return True


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
        self._holders: dict[str, Holder] = {}
        self._named_in_stack: dict[str, str] = {}
        self._holders_lock = threading.Lock()

    def add(self, organization_id: str) -> None:
        self._claimed.add(organization_id)

    def __contains__(self, organization_id: object) -> bool:
        return organization_id in self._claimed

    def deleted(self, organization_id: str) -> None:
        self._deleted.add(organization_id)

    def was_deleted(self, organization_id: object) -> bool:
        return organization_id in self._deleted

    def hold(self, organization_id: str, holder: Holder) -> Holder | None:
        """Note that `holder` manages the organization; the other resource that does already, if any.

        An organization belongs to one resource: two resources adopting one id, or one adopting an id that
        another resource of the stack holds, would take turns overwriting its settings."""
        with self._holders_lock:
            current = self._holders.setdefault(organization_id, holder)
        return None if current.key == holder.key else current

    def named_in_stack(self, organization_id: str, declared: str) -> None:
        """A resource already in the stack still names `adopt_id` (its adoption is over), declared so."""
        with self._holders_lock:
            self._named_in_stack[organization_id] = declared

    def is_named_in_stack(self, organization_id: str, declared: str) -> bool:
        """Whether a new resource naming this id, declared so, is that stack resource checked again: the
        engine checks a replacement as a new resource, with the same inputs."""
        with self._holders_lock:
            return self._named_in_stack.get(organization_id) == declared


@dataclass(frozen=True)
class Holder:
    """A resource that manages an organization: `key` tells resources apart, `description` names one."""

    key: str
    description: str

    @classmethod
    def in_stack(cls, organization_id: str, props: dict[str, Any], urn: str = "") -> Holder:
        """A resource the stack holds (its stored outputs): the plugin knows its URN (every diff of one run
        sees the current URNs); the dynamic provider's host passes none, so two of its resources for one
        organization, both named as it is, are told apart by their `stack_identity` and whether they
        adopted it."""
        if urn:
            return cls(urn, urn)
        name = shown_name(props.get("name"))
        description = f"the stack's resource for organization {name}"
        if props.get(ADOPT_ID):
            description += " that adopted it"
        return cls(stack_identity("organization", organization_id, props), description)

    @classmethod
    def adopting(cls, news: dict[str, Any], urn: str = "") -> Holder:
        """A new resource naming the organization to adopt: every one is a resource of its own."""
        if urn:
            return cls(urn, urn)
        name = shown_name(news.get("name"))
        return cls(f"adopt:{uuid.uuid4().hex}", f"a new resource adopting it for organization {name}")


@dataclass(frozen=True)
class ThisOperation:
    """The claims and the fresh create keys of one operation.

    `api_keys_in_stack`: the users (`<organization id>/<user id>`) whose API key a resource already in the
    stack holds, noted by that resource's `check` (user_api_key_operations.py). A mint for one of them is
    the stack's own key being replaced, so it may revoke it (`force`); for any other user it may not."""

    claimed: ClaimedThisRun = field(default_factory=ClaimedThisRun)
    fresh_keys: FreshKeys = field(default_factory=FreshKeys)
    api_keys_in_stack: _SharedSet = field(default_factory=_SharedSet)
    api_keys_kept: KeptThisRun = field(default_factory=KeptThisRun)
    """The users whose key a resource of the stack keeps in this run (its diff found no replacement): a
    mint for one of them would revoke that key (user_api_key_operations.py)."""
    users_kept: KeptThisRun = field(default_factory=KeptThisRun)
    """The users that resources of the stack keep in this run, by user id and by the resource's identity
    (`stack_identity`, user_operations.py): a delete of one resource spares a user another resource keeps."""
    organizations_kept: KeptThisRun = field(default_factory=KeptThisRun)
    """The organizations that resources of the stack keep in this run, by organization id and by the
    resource's identity (`stack_identity`, operations.py), as `users_kept` keeps users."""
