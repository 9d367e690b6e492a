"""Read-only lookups of organizations, following Pulumi's `get_*` convention.

They run in the Pulumi program's process and use the same configuration as the resource (stack config
`polytomic:*`, then the environment). Each `get_*` has an `*_output` twin that takes Inputs and returns an
Output, for use with values that are not known until deployment.

    from polytomic_provider import get_organization

    acme = get_organization(name="Acme")
    pulumi.export("acme_domain", acme.sso_domain)

A lookup never changes anything and adds nothing to the stack. To keep a reference to an organization in the
stack (read again on every `pulumi refresh`), use `Organization.get(resource_name, id)` instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pulumi
import pulumi.runtime

from . import bridge, queries
from .client import AsyncPolytomicClient
from .config import CONFIG_NAMESPACE, resolve_settings
from .models import Organization
from .queries import OrganizationLookupError

__all__ = [
    "OrganizationLookupError",
    "OrganizationResult",
    "get_current_organization",
    "get_current_organization_output",
    "get_organization",
    "get_organization_output",
    "get_organizations",
    "get_organizations_output",
]


@dataclass(frozen=True)
class OrganizationResult:
    """What the API tells about an organization.

    client_id and client_secret are write-only on the API, so no lookup can return them.
    """

    id: str
    name: str
    issuer: str | None
    sso_domain: str | None
    sso_org_id: str | None


_lock = threading.Lock()
_client: AsyncPolytomicClient | None = None


def _shared_client() -> AsyncPolytomicClient:
    """One client per program run, configured like the provider (stack config first, then environment)."""
    global _client
    with _lock:
        if _client is None:
            settings = resolve_settings(lambda key: pulumi.runtime.get_config(f"{CONFIG_NAMESPACE}:{key}"))
            _client = AsyncPolytomicClient(settings)
        return _client


def _reset_client() -> None:
    """Forget the shared client (and close it), so that the next lookup reads the configuration again."""
    global _client
    with _lock:
        client, _client = _client, None
    if client is not None:
        bridge.run(client.aclose())


def _result(org: Organization) -> OrganizationResult:
    return OrganizationResult(
        id=org.id, name=org.name, issuer=org.issuer, sso_domain=org.sso_domain, sso_org_id=org.sso_org_id
    )


def get_organization(*, id: str | None = None, name: str | None = None) -> OrganizationResult:
    """The organization with this id, or with exactly this name, in the partner account.

    Raises OrganizationLookupError when there is none.
    """
    problem = queries.which_one_problem("get_organization", id, name)
    if problem is not None:
        raise ValueError(problem)
    return _result(bridge.run(queries.organization(_shared_client(), organization_id=id, name=name)))


def get_organizations(*, name_filter: str | None = None) -> list[OrganizationResult]:
    """Every organization in the partner account, the partner's owner organization first.

    :param name_filter: keep only organizations whose name contains this text (case-insensitive).
    """
    listed = bridge.run(queries.organizations(_shared_client(), name_filter))
    return [_result(o) for o in listed]


def get_current_organization() -> OrganizationResult:
    """The organization the configured key belongs to: the partner's owner organization for a partner key."""
    return _result(bridge.run(queries.current_organization(_shared_client())))


def get_organization_output(
    *, id: pulumi.Input[str] | None = None, name: pulumi.Input[str] | None = None
) -> pulumi.Output[OrganizationResult]:
    """`get_organization` for Inputs: the lookup runs once they are known (it is skipped in a preview
    while they are not)."""
    problem = queries.which_one_problem("get_organization_output", id, name)
    if problem is not None:
        raise ValueError(problem)
    if id is not None:
        return pulumi.Output.from_input(id).apply(lambda value: get_organization(id=value))
    return pulumi.Output.from_input(name).apply(lambda value: get_organization(name=value))


def get_organizations_output(
    *, name_filter: pulumi.Input[str] | None = None
) -> pulumi.Output[list[OrganizationResult]]:
    """`get_organizations` for an Input filter."""
    return pulumi.Output.from_input(name_filter).apply(lambda value: get_organizations(name_filter=value))


def get_current_organization_output() -> pulumi.Output[OrganizationResult]:
    """`get_current_organization` as an Output."""
    return pulumi.Output.from_input(None).apply(lambda _: get_current_organization())
