"""Two dynamic resources of the stack holding one organization or user, each kind through the same steps.

`pulumi up --target <twin>` checks only the twin, so its adoption of what another resource holds is not
refused. The next `up` without the twin diffs the holder (which keeps it) and deletes the twin: that
delete must leave the object to the holder. A resource's own diff never spares its own delete (the engine
may replace what its diff kept), and two such resources diffed in one run stop it naming both. The create
key each records in its outputs tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pulumi.dynamic import ResourceProvider

from polytomic_provider.errors import PolytomicError
from polytomic_provider.provider import CREATE_KEY, OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from polytomic_provider.user_provider import UserProvider


@dataclass(frozen=True)
class Kind:
    """One kind of resource: its provider, declared properties, an in-place change and its API path."""

    name: str
    provider: ResourceProvider
    props: dict[str, Any]
    change: dict[str, Any]
    changed: tuple[str, Any]  # the output the change sets, and its value
    path: Callable[[str], str]


@pytest.fixture(params=["organization", "user"])
def kind(request: pytest.FixtureRequest, provider: OrganizationProvider) -> Kind:
    if request.param == "organization":
        return Kind(
            "organization",
            provider,
            {"name": "Shared"},
            {"name": "Renamed"},
            ("name", "Renamed"),
            lambda id_: f"/api/organizations/{id_}",
        )
    org = provider.create(provider.check({}, {"name": "Acme"}).inputs).id
    return Kind(
        "user",
        UserProvider(),
        {"organization_id": org, "email": "shared@example.com"},
        {"role": "Member"},
        ("role", "user"),
        lambda id_: f"/api/organizations/{org}/users/{id_}",
    )


def made(kind: Kind, props: dict[str, Any]) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """Check then create: the recorded inputs, the id and the outputs (the next run's olds)."""
    inputs = kind.provider.check({}, props).inputs
    created = kind.provider.create(inputs)
    return inputs, created.id or "", dict(created.outs or {})


def test_removing_a_twin_that_adopted_a_held_object_leaves_it_to_the_other(
    kind: Kind, partner_api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    provider, props = kind.provider, kind.props
    inputs, id_, outs = made(kind, props)
    RUNTIME.new_operation()  # `up --target <twin>`
    _, twin_id, twin_outs = made(kind, {**props, "adopt_id": id_})
    assert twin_id == id_
    RUNTIME.new_operation()  # `up` with the twin removed from the program
    assert provider.diff(id_, outs, provider.check(inputs, props).inputs).changes is False
    provider.delete(twin_id, twin_outs)
    assert partner_api.get(kind.path(id_)).status_code == 200, "left to the holder"
    assert f"not deleted: another resource of this stack holds this {kind.name}" in caplog.text
    RUNTIME.new_operation()  # the holder lives on: a change in place, then `destroy`
    news = provider.check(inputs, {**props, **kind.change}).inputs
    assert provider.diff(id_, outs, news).replaces == []
    outs = dict(provider.update(id_, outs, news).outs or {})
    field, value = kind.changed
    assert outs[field] == value
    assert outs[CREATE_KEY] == (provider.read(id_, outs).outs or {})[CREATE_KEY] == inputs[CREATE_KEY]
    RUNTIME.new_operation()
    provider.delete(id_, outs)
    assert partner_api.get(kind.path(id_)).status_code == 404


def test_a_replacement_the_engine_forces_after_a_diff_that_kept_the_object_deletes_it(
    kind: Kind, partner_api: httpx.Client
) -> None:
    """`pulumi up --replace <urn>`, or `replace_on_changes` with `delete_before_replace=True`: our diff
    finds nothing to replace, the engine replaces anyway, deleting first."""
    provider, props = kind.provider, kind.props
    inputs, id_, outs = made(kind, props)
    RUNTIME.new_operation()
    news = provider.check(inputs, {**props, **kind.change}).inputs
    assert provider.diff(id_, outs, news).replaces == []
    provider.delete(id_, outs)  # the engine's delete-first replacement
    assert partner_api.get(kind.path(id_)).status_code == 404
    replacement = provider.create(provider.check({}, {**props, **kind.change}).inputs)  # checked as new
    assert replacement.id not in (None, id_)


def test_two_stack_resources_holding_one_object_both_diffed_stop_the_run(kind: Kind) -> None:
    """Twins from an `up --target` adoption, both in the program of one `up`: the second diff names both
    and the way out (not told apart by a name or an email, which they share)."""
    provider, props = kind.provider, kind.props
    inputs, id_, outs = made(kind, props)
    RUNTIME.new_operation()  # `up --target <twin>`
    twin_inputs, _, twin_outs = made(kind, {**props, "adopt_id": id_})
    RUNTIME.new_operation()  # `up` of both
    assert provider.diff(id_, outs, provider.check(inputs, props).inputs).changes is False
    with pytest.raises(PolytomicError) as failure:
        provider.diff(id_, twin_outs, provider.check(twin_inputs, {**props, "adopt_id": id_}).inputs)
    message = str(failure.value)
    assert f"{kind.name} {id_} is claimed by two resources of this stack" in message
    assert "that adopted it" in message and "pulumi state delete <urn>" in message
