"""The resource as a program declares it, under Pulumi's mocks (no engine, no provider calls)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from polytomic_provider.fields import CREATE_SCOPE


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
def test_same_name_under_two_parents_gets_two_create_scopes() -> Any:
    from polytomic_provider import Organization, OrganizationArgs

    first, second = Team("a"), Team("b")
    top = Organization("org", OrganizationArgs(name="top org"))

    def check(_: Any) -> None:
        scopes = [inputs[CREATE_SCOPE] for inputs in MOCKS.organizations]
        assert len(scopes) == 3 and len(set(scopes)) == 3
        assert "proj/dev/org" in scopes
        assert sum("test:index:Team::a" in s for s in scopes) == 1

    return pulumi.Output.all(first.org.urn, second.org.urn, top.urn).apply(check)
