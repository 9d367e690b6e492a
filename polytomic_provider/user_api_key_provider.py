"""UserApiKeyProvider: the dynamic provider behind `UserApiKey`, a thin adapter over
user_api_key_operations.py. Like the others it holds nothing (pickled into state by reference) and shares
the process's runtime (`runtime.RUNTIME`): one client, one account lookup and one operation's claims."""

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

__all__ = ["UserApiKeyProvider"]


class UserApiKeyProvider(ResourceProvider):
    """Mints a user's API key (write-once: the API shows it once and never reads it back)."""

    serialize_as_secret_always = False

    def __getstate__(self) -> None:
        return None  # nothing to pickle: see OrganizationProvider.__getstate__

    configure = OrganizationProvider.configure

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from . import user_api_key_operations as ops

        checked, problems = ops.check(
            olds, news, unknown=is_unknown, problems=RUNTIME.problems(), operation=RUNTIME.operation
        )
        return checked_result(
            checked,
            problems,
            lambda client: ops.check_account(client, olds, checked, unknown=is_unknown),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """No change when the stored outputs match the inputs (`force` aside); otherwise the engine names
        the changed inputs itself (`changes=None`), and every one of them mints a new key."""
        from . import user_api_key_operations as ops

        changed, replaces = ops.diff(olds, news, unknown=is_unknown)
        ops.note_diff(RUNTIME.operation, _id, olds, replaces)
        return DiffResult(changes=None if changed else False, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        from . import bridge
        from . import user_api_key_operations as ops

        id_, outs = bridge.run(ops.create(RUNTIME.client(), props, operation=RUNTIME.operation))
        return CreateResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        from . import bridge
        from . import user_api_key_operations as ops

        return UpdateResult(bridge.run(ops.update(RUNTIME.client(), id_, news, olds=olds)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        from . import bridge
        from . import user_api_key_operations as ops

        found = bridge.run(ops.read(RUNTIME.client(), id_, props))
        if found is None:
            return ReadResult(None, {})  # the user is gone, and its keys with it: it leaves the stack
        outs, inputs = found
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        from . import bridge
        from . import user_api_key_operations as ops

        bridge.run(ops.delete(RUNTIME.client(), id_, props))
