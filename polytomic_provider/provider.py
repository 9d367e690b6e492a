"""OrganizationProvider: the dynamic provider behind `Organization`.

What the engine sends each method: `check` gets old and new inputs, `diff` gets old *outputs* and new
inputs, `create`/`update` must return every output, `read` returns an empty id when the organization is
gone, `delete` gets the old outputs. Write-only fields (`client_id`, `client_secret`) are carried in
outputs from the inputs, since the API never returns them.

The object itself holds nothing: it is pickled into state by reference (a few dozen bytes, identical across
releases), and everything it needs at run time sits in `runtime.RUNTIME`. The Pulumi program imports this
module on every run, so pydantic and httpx (through `models` and `client`) are imported only inside the
methods that use them: a preview's program never pays for them.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .config import CONFIG_NAMESPACE
from .errors import ConfigurationError, Conflict, Forbidden, NotFound, PolytomicError
from .fields import ADOPT_ID, CREATE_KEY, FIELDS, OIDC_FIELDS, READABLE_FIELDS, WRITE_ONLY_FIELDS
from .hints import hint_for
from .ownership import name_taken_message
from .runtime import RUNTIME
from .watchdog import start_engine_watchdog

if TYPE_CHECKING:
    from .client import PolytomicClient
    from .models import Organization, OrganizationSpec

__all__ = ["ADOPT_ID", "CREATE_KEY", "OrganizationError", "OrganizationProvider"]


class OrganizationError(PolytomicError):
    """An operation on one organization failed; the message names it and says what to do."""


def is_unknown(value: Any) -> bool:
    """True for values the engine does not know yet (during preview)."""
    return isinstance(value, pulumi.output.Unknown) or pulumi.output.contains_unknowns(value)


def spec_from(props: dict[str, Any]) -> OrganizationSpec:
    from .models import OrganizationSpec

    return OrganizationSpec.model_validate({f: props.get(f) for f in FIELDS})


def new_create_key() -> str:
    """A fresh Idempotency-Key (documented alphabet [A-Za-z0-9_-], 8-255 characters) for one create."""
    return f"pulumi-create-{uuid.uuid4().hex}"


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
        self._lock = threading.Lock()
        self._keys: set[str] = set()

    def draw(self) -> str:
        key = new_create_key()
        with self._lock:
            self._keys.add(key)
        return key

    def take(self, key: object) -> bool:
        """True, once, for a key `draw` gave out."""
        with self._lock:
            if isinstance(key, str) and key in self._keys:
                self._keys.discard(key)
                return True
        return False


FRESH_KEYS = FreshKeys()


def outputs_for(live: Organization, props: dict[str, Any]) -> dict[str, Any]:
    """All outputs: readable fields as the API returned them, write-only ones as declared (or stored)."""
    outs: dict[str, Any] = {f: props.get(f) for f in WRITE_ONLY_FIELDS}
    outs.update(live.readable())
    if props.get(ADOPT_ID) is not None:
        outs[ADOPT_ID] = props[ADOPT_ID]
    return outs


def inputs_for(outs: dict[str, Any]) -> dict[str, Any]:
    """The inputs a refresh records: the live values, so drift shows in the next diff's changed fields.

    `adopt_id` is left out, as `check` leaves it out once the resource is in the stack."""
    return {key: outs[key] for key in FIELDS if outs.get(key) is not None}


def _label(props: dict[str, Any], organization_id: str | None = None) -> str:
    name = props.get("name")
    label = f"Organization {name!r}" if isinstance(name, str) else "Organization"
    return f"{label} ({organization_id})" if organization_id else label


def explain(error: PolytomicError, label: str, verb: str) -> OrganizationError:
    """Reword a client error for a person reading CLI output: what failed, why, and what to do."""
    if isinstance(error, ConfigurationError):  # already names the setting; the settings are unusable
        return OrganizationError(f"{label}: {verb} failed: {error}")
    hint = hint_for(error, RUNTIME.settings.deployment_url, f"{verb} organizations")
    return OrganizationError(f"{label}: {verb} failed: {hint}")


class OrganizationProvider(ResourceProvider):
    """CRUD for Polytomic organizations over the REST API."""

    serialize_as_secret_always = False  # nothing secret is captured: see the module docstring

    def __getstate__(self) -> None:
        # No state at all, not even an empty dict: the SDK's serialize_provider re-wraps pickle's dict
        # writer on every call, so pickling any dict grows a call chain with each resource and fails
        # with RecursionError near a thousand resources.
        return None

    def configure(self, req: ConfigureRequest) -> None:
        start_engine_watchdog()
        # Bad values are kept, not raised: `check` reports them, naming the setting, before any API call.
        RUNTIME.configure_from(lambda key: req.config.get(f"{CONFIG_NAMESPACE}:{key}"))

    # -- planning (no API calls) -------------------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        unknown = {k for k, v in news.items() if is_unknown(v)}
        props = {k: v for k, v in news.items() if not k.startswith("__") and k != ADOPT_ID}
        known = {k: v for k, v in props.items() if k not in unknown and v is not None}
        from .models import validate_inputs

        _, problems = validate_inputs(known)
        oidc_unknown = any(f in unknown for f in OIDC_FIELDS)
        for problem in problems:
            if problem.property in unknown:
                continue
            if oidc_unknown and problem.reason.startswith("OIDC needs"):
                continue
            failures.append(CheckFailure(problem.property, problem.reason))
        adopt = news.get(ADOPT_ID)
        if adopt is not None and not is_unknown(adopt) and (not isinstance(adopt, str) or not adopt.strip()):
            failures.append(CheckFailure(ADOPT_ID, "adopt_id must be the id of an existing organization"))
        failures += [CheckFailure(problem.setting, problem.reason) for problem in RUNTIME.problems()]
        checked = dict(news)
        if olds:
            # In the stack already: adoption is over, and a create now could only be a replacement.
            checked.pop(ADOPT_ID, None)
        else:
            # A key of this create's own: it can never replay one another run, stack or resource made.
            checked[CREATE_KEY] = FRESH_KEYS.draw()
        return CheckResult(checked, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No change when every field matches the stored outputs; otherwise let the engine name the fields.

        A dynamic provider cannot return changed keys, so a change is answered as "unknown": the engine then
        diffs the stored inputs against the program's itself, which marks each changed field in `preview`
        (a rotated secret as `[secret]`), matches `replace_on_changes` and honours `ignore_changes`.
        Comparing fields only keeps internal inputs (`__create_key`, `adopt_id`) from ever causing an update.
        """
        changed = any(is_unknown(news.get(f)) or olds.get(f) != news.get(f) for f in FIELDS)
        return DiffResult(changes=None if changed else False, replaces=[], delete_before_replace=False)

    # -- operations --------------------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = spec_from(props)
        label = _label(props)
        adopt_id = props.get(ADOPT_ID)
        try:
            client = RUNTIME.client()
            if adopt_id:
                live = self._adopt(client, str(adopt_id), spec)
            else:
                # Retries of this one call share the key; nothing else ever sends it.
                replacing = not FRESH_KEYS.take(props.get(CREATE_KEY))
                key = new_create_key() if replacing else str(props[CREATE_KEY])
                live = client.create_organization(spec, idempotency_key=key)
        except Conflict as error:
            own_id = str(adopt_id) if adopt_id else None
            message = name_taken_message(
                client, spec.name, cause=error, own_id=own_id, replacing=not adopt_id and replacing
            )
            raise OrganizationError(f"{label}: create failed: {message}") from None
        except NotFound as error:
            if not adopt_id:
                raise explain(error, label, "create") from None
            raise OrganizationError(
                f"{label}: adopt_id {adopt_id!r} names no organization in this partner account "
                f"({error}): check the id (polytomic-pulumi generate lists them)"
            ) from None
        except PolytomicError as error:
            raise explain(error, label, "create") from None
        return CreateResult(live.id, outputs_for(live, props))

    @staticmethod
    def _adopt(client: PolytomicClient, organization_id: str, spec: OrganizationSpec) -> Organization:
        """Take over the organization the user named: one full PUT, only if it differs from the program."""
        live = client.get_organization(organization_id)
        wanted = {f: getattr(spec, f) for f in READABLE_FIELDS}
        has_write_only = any(getattr(spec, f) is not None for f in WRITE_ONLY_FIELDS)
        if live.readable() == wanted and not has_write_only:
            return live
        return client.update_organization(organization_id, spec)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = spec_from(news)
        label = _label(news, id_)
        try:
            client = RUNTIME.client()
            live = client.update_organization(id_, spec)
        except NotFound:
            raise OrganizationError(
                f"{label}: update failed: the organization no longer exists in Polytomic. "
                f"Run 'pulumi refresh' "
                f"to drop it from the stack; the next 'pulumi up' creates it again"
            ) from None
        except Conflict as error:
            message = name_taken_message(client, spec.name, cause=error, own_id=id_)
            raise OrganizationError(f"{label}: update failed: {message}") from None
        except PolytomicError as error:
            raise explain(error, label, "update") from None
        return UpdateResult(outputs_for(live, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        label = _label(props, id_)
        try:
            live = RUNTIME.snapshot().organization(id_)
        except NotFound:
            if props.get("name") is None:  # Organization.get: there is no earlier state to drop
                raise OrganizationError(
                    f"Organization.get: no organization with id {id_!r} in this partner account: "
                    f"check the id (polytomic-pulumi generate lists them)"
                ) from None
            return ReadResult(None, {})  # refresh: deleted outside Pulumi, so it leaves the stack
        except PolytomicError as error:
            raise explain(error, label, "read") from None
        outs = outputs_for(live, props)
        return ReadResult(live.id, outs, inputs_for(outs))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        label = _label(props, id_)
        try:
            RUNTIME.client().delete_organization(id_)
        except NotFound:
            return  # already gone: the goal of a delete is met
        except Forbidden as error:
            raise OrganizationError(
                f"{label}: delete failed ({error}): the partner's own owner organization cannot be "
                f"deleted, and "
                f"organizations are deleted with a partner key. To drop it from the stack but keep it, set "
                f"retain_on_delete=True on the resource"
            ) from None
        except PolytomicError as error:
            raise explain(error, label, "delete") from None
