"""What the plugin's users and API keys answer in `diff` once the core has compared the fields: the
fields the program ignores dropped, then each changed field marked for the engine in the schema's spelling."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pulumi.provider.experimental import provider as rpc

from ..frontend import camel_case

__all__ = ["diff_response", "without_ignored"]


def without_ignored(
    changed: list[str], replaces: list[str], fields: Iterable[str], ignore_changes: Iterable[str]
) -> tuple[list[str], list[str]]:
    """`changed` and `replaces` without the fields the program's `ignoreChanges` names (schema spelling)."""
    ignore = set(ignore_changes)
    ignored = {field for field in fields if camel_case(field) in ignore}
    return [f for f in changed if f not in ignored], [f for f in replaces if f not in ignored]


def diff_response(
    changed: list[str], replaces: list[str], kind: Callable[[str], rpc.PropertyDiffKind]
) -> rpc.DiffResponse:
    """Each changed field marked with its `kind` (`[diff: ~roleIds]`); replacements create first (an email
    or a key never collides with the old one)."""
    detailed = {camel_case(field): rpc.PropertyDiff(kind(field), False) for field in changed}
    return rpc.DiffResponse(
        changes=bool(changed),
        replaces=[camel_case(field) for field in replaces],
        diffs=list(detailed),
        detailed_diff=detailed,
        delete_before_replace=False,
    )
