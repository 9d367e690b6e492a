"""UserProvider: the dynamic provider behind `User`, a thin adapter over user_operations.py.

Like OrganizationProvider it holds nothing (pickled into state by reference) and shares the process's
runtime (`runtime.RUNTIME`): one client, one account lookup and one operation's claims for both resources.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .provider import OrganizationProvider, checked_result, is_unknown
from .runtime import RUNTIME

__all__ = ["UserProvider"]


class UserProvider(ResourceProvider):
    """CRUD for the users of Polytomic organizations over the REST API (partner level)."""

    serialize_as_secret_always = False

    def __getstate__(self) -> None:
        return None  # nothing to pickle: see OrganizationProvider.__getstate__

    # The settings come from the same stack config, read the same way.
    configure = OrganizationProvider.configure

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from . import user_operations

        checked, problems = user_operations.check(
            olds, news, unknown=is_unknown, problems=RUNTIME.problems(), operation=RUNTIME.operation
        )
        return checked_result(
            checked,
            problems,
            lambda client: user_operations.check_account(
                client, olds, checked, unknown=is_unknown, operation=RUNTIME.operation
            ),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No change when the stored outputs match (email ignoring case); otherwise the engine names the
        changed inputs itself (`changes=None`), and another organization or address replaces the user."""
        from . import user_operations

        user_operations.hold_in_stack(RUNTIME.operation, _id, olds)
        changed, replaces = user_operations.diff(olds, news, unknown=is_unknown)
        user_operations.note_diff(RUNTIME.operation, _id, olds, replaces)
        return DiffResult(changes=None if changed else False, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from . import bridge, user_operations

        id_, outs = bridge.run(user_operations.create(RUNTIME.client(), props, operation=RUNTIME.operation))
        return CreateResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from . import bridge, user_operations

        return UpdateResult(bridge.run(user_operations.update(RUNTIME.client(), id_, news, olds=olds)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from . import bridge, user_operations

        found = bridge.run(user_operations.read(RUNTIME.client(), id_, props))
        if found is None:
            return ReadResult(None, {})  # deleted outside Pulumi: it leaves the stack
        outs, inputs = found
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from . import bridge, user_operations

        bridge.run(user_operations.delete(RUNTIME.client(), id_, props, operation=RUNTIME.operation))
