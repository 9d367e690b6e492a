"""The resource as a program declares it, under Pulumi's mocks (no engine, no provider calls)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from polytomic_provider.fields import ACCOUNT, CREATE_KEY, NAME_SECRET
from polytomic_provider.resource import _with_defaults


class RecordingMocks(pulumi.runtime.Mocks):
    """Keeps the inputs of every Organization the program registers."""

    def __init__(self) -> None:
        self.organizations: list[dict[str, Any]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ.endswith("polytomic:Organization"):
            self.organizations.append(dict(args.inputs))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


MOCKS = RecordingMocks()


@pytest.fixture(autouse=True)
def mocks() -> Iterator[RecordingMocks]:
    """Mocks on an event loop of their own: earlier tests (the Automation API) may have closed theirs."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    MOCKS.organizations.clear()
    pulumi.runtime.set_mocks(MOCKS, project="proj", stack="dev", preview=False)
    yield MOCKS
    loop.close()
    asyncio.set_event_loop(None)


class Team(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        from polytomic_provider import Organization, OrganizationArgs

        super().__init__("test:index:Team", name)
        self.org = Organization(
            "org", OrganizationArgs(name=f"{name} org"), pulumi.ResourceOptions(parent=self)
        )


@pulumi.runtime.test
def test_the_program_sends_nothing_derived_from_names_or_place() -> Any:
    """Ownership is never derived from where a resource sits: the program sends its fields only, and the
    create key comes from the provider's check, fresh on every run."""
    from polytomic_provider import Organization, OrganizationArgs

    first, second = Team("a"), Team("b")
    top = Organization("org", OrganizationArgs(name="top org"))

    def check(_: Any) -> None:
        assert len(MOCKS.organizations) == 3
        for inputs in MOCKS.organizations:
            assert not [key for key in inputs if key.startswith("__") and key != "__provider"]

    return pulumi.Output.all(first.org.urn, second.org.urn, top.urn).apply(check)


def test_replacements_delete_first_unless_the_program_says_otherwise() -> None:
    assert _with_defaults(None).delete_before_replace is True
    explicit = pulumi.ResourceOptions(delete_before_replace=False)
    assert _with_defaults(explicit).delete_before_replace is False


def test_the_create_key_is_ignored_in_diffs_alongside_the_programs_own_ignores() -> None:
    merged = _with_defaults(pulumi.ResourceOptions(ignore_changes=["sso_domain"]))
    assert merged.ignore_changes is not None
    assert set(merged.ignore_changes) == {"sso_domain", CREATE_KEY, ACCOUNT, NAME_SECRET, "__create_scope"}
    assert merged.additional_secret_outputs == ["client_secret"]
