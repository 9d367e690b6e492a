"""OrganizationProvider: the dynamic provider behind `Organization`, a thin adapter over operations.py.

It turns what the dynamic provider host sends into the core's property dicts and back; every decision
(validation, the diff rule, requests, ownership, error wording) is the core's. Calls run on the process's
core loop (bridge.py): the host's four worker threads each wait for their own call there.

The object itself holds nothing: it is pickled into state by reference (a few dozen bytes, identical across
releases), and everything it needs at run time sits in `runtime.RUNTIME`. The Pulumi program imports this
module on every run, so pydantic and httpx (through the core) are imported only inside the methods that
use them: a preview's program never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    Config,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .config import CONFIG_NAMESPACE
from .fields import ADOPT_ID, CREATE_KEY
from .runtime import RUNTIME
from .warmup import send_first_read, start_prewarm
from .watchdog import start_engine_watchdog

if TYPE_CHECKING:  # httpx and pydantic load on the first call, not at import (warmup.py)
    from .client import AsyncPolytomicClient
    from .problems import Problem

__all__ = ["ADOPT_ID", "CREATE_KEY", "OrganizationProvider", "checked_result", "is_unknown"]

_T = TypeVar("_T")


def _settings_given(config: Config) -> list[str]:
    """The names of the stack's `polytomic:*` config keys, so that a misspelt one is reported, not ignored.

    pulumi.dynamic's Config offers get and require only, no listing: the dict it was built from (the whole
    stack config, as the engine sent it) is read; without it (another SDK), nothing is listed."""
    raw = getattr(config, "_props", None)
    if not isinstance(raw, dict):
        return []
    prefix = f"{CONFIG_NAMESPACE}:"
    return [key.removeprefix(prefix) for key in raw if key.startswith(prefix)]


async def _named(props: dict[str, Any], call: Coroutine[Any, Any, _T]) -> _T:
    """Run a core call knowing whether the program marked the name secret (its messages then hide it).
    Set here, on the core's loop: each bridged call runs in a context of its own."""
    from .fields import NAME_SECRET
    from .frontend import NAME_IS_SECRET

    NAME_IS_SECRET.set(bool(props.get(NAME_SECRET)))
    return await call


def checked_result(
    checked: dict[str, Any],
    problems: list[Problem],
    account_check: Callable[[AsyncPolytomicClient], Coroutine[Any, Any, list[Problem]]],
) -> CheckResult:
    """The answer to the engine's check, for every dynamic resource: bad input fails before any request;
    only sound inputs reach the API (the account, and whatever the resource proves there)."""
    if not problems:
        from . import bridge
        from .errors import ConfigurationError
        from .problems import Problem

        try:  # built from the settings and the CA certificates (SSL_CERT_FILE), which may be unusable
            client = RUNTIME.client()
        except ConfigurationError as error:
            problems.append(Problem("", str(error)))
        else:
            problems += bridge.run(account_check(client))
    return CheckResult(checked, [CheckFailure(p.property, p.reason) for p in problems])


def is_unknown(value: Any) -> bool:
    """True for values the engine does not know yet (during preview)."""
    return isinstance(value, pulumi.output.Unknown) or pulumi.output.contains_unknowns(value)


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
        RUNTIME.configure_from(
            lambda key: req.config.get(f"{CONFIG_NAMESPACE}:{key}"), given=_settings_given(req.config)
        )
        # The host serves calls on other threads meanwhile; the first of them then finds the client built.
        start_prewarm(RUNTIME)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from . import operations

        checked, problems = operations.check(
            olds, news, unknown=is_unknown, problems=RUNTIME.problems(), operation=RUNTIME.operation
        )
        return checked_result(
            checked,
            problems,
            lambda client: _named(
                news, operations.check_account(client, olds, checked, operation=RUNTIME.operation)
            ),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No change when every field matches the stored outputs; otherwise let the engine name the fields.

        A dynamic provider cannot return changed keys, so a change is answered as "unknown": the engine then
        diffs the stored inputs against the program's itself, which marks each changed field in `preview`
        (a rotated secret as `[secret]`), matches `replace_on_changes` and honours `ignore_changes`.
        """
        from . import bridge, operations

        bridge.run(
            _named(news, operations.verify_account(RUNTIME.client(), _id, olds, operation=RUNTIME.operation))
        )
        changed = operations.changed_fields(olds, news, unknown=is_unknown)
        return DiffResult(changes=None if changed else False, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from . import bridge, operations

        id_, outs = bridge.run(
            _named(props, operations.create(RUNTIME.client(), props, operation=RUNTIME.operation))
        )
        return CreateResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from . import bridge, operations

        return UpdateResult(
            bridge.run(_named(news, operations.update(RUNTIME.client(), id_, news, olds=olds)))
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from .accounts import known_account, recorded_account
        from .snapshot import snapshot_of

        client = RUNTIME.client()
        snapshot = snapshot_of(client)
        began_after = snapshot.writes_ended  # the read begins now, not once the core has loaded
        # Most reads of a refresh: no hop onto the event loop, when the list and the account are known and
        # the organization is recorded in that account (anything else takes the core's full read).
        account, recorded = known_account(client), recorded_account(props)
        fast = account is not None and (recorded is None or recorded.same_as(account))
        live = snapshot.listed(id_) if fast else None
        if live is None:  # the list call and the account lookup go out before the rest of the core loads
            send_first_read(client, snapshot, began_after)
        from . import bridge, models, operations  # noqa: F401 - models: loaded during that round trip

        found = (
            operations.read_result(live, props, account)
            if live is not None and account is not None
            else bridge.run(
                _named(
                    props,
                    operations.read(
                        client,
                        id_,
                        props,
                        began_after=began_after,
                    ),
                )
            )
        )
        if found is None:
            return ReadResult(None, {})  # refresh: deleted outside Pulumi, so it leaves the stack
        outs, inputs = found
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from . import bridge, operations

        bridge.run(
            _named(props, operations.delete(RUNTIME.client(), id_, props, operation=RUNTIME.operation))
        )
