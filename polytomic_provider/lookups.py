"""Read-only lookups of organizations, following Pulumi's `get_*` convention.

They run in the Pulumi program's process and use the same configuration as the resource (stack config
`polytomic:*`, then the environment). Each `get_*` has an `*_output` twin that takes Inputs and returns an
Output, for use with values that are not known until deployment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pulumi
import pulumi.runtime

from .client import PolytomicClient
from .config import CONFIG_NAMESPACE, resolve_settings
from .errors import NotFound, PolytomicError
from .models import Organization

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


class OrganizationLookupError(PolytomicError):
    """A lookup found nothing, or found more than it should."""


@dataclass(frozen=True)
class OrganizationResult:
    """What the API tells about an organization (client_id and client_secret are write-only)."""

    id: str
    name: str
    issuer: str | None
    sso_domain: str | None
    sso_org_id: str | None


_lock = threading.Lock()
_client: PolytomicClient | None = None


def _shared_client() -> PolytomicClient:
    """One client per program run, configured like the provider."""
    global _client
    with _lock:
        if _client is None:
            settings = resolve_settings(lambda key: pulumi.runtime.get_config(f"{CONFIG_NAMESPACE}:{key}"))
            _client = PolytomicClient(settings)
        return _client


def _result(org: Organization) -> OrganizationResult:
    return OrganizationResult(id=org.id, **org.readable())  # type: ignore[arg-type]


def get_organization(*, id: str | None = None, name: str | None = None) -> OrganizationResult:
    """The organization with this id, or with this exact name, in the partner account."""
    if (id is None) == (name is None):
        raise ValueError("get_organization takes exactly one of id= or name=")
    client = _shared_client()
    if id is not None:
        try:
            return _result(client.get_organization(id))
        except NotFound:
            raise OrganizationLookupError(
                f"no organization with id {id!r} in the partner account at {client.settings.deployment_url}"
            ) from None
    matches = [o for o in client.list_organizations() if o.name == name]
    if not matches:
        raise OrganizationLookupError(
            f"no organization named {name!r} in the partner account at {client.settings.deployment_url}"
        )
    return _result(matches[0])


def get_organizations(*, name_filter: str | None = None) -> list[OrganizationResult]:
    """Every organization in the partner account (owner first), optionally filtered by name."""
    needle = (name_filter or "").casefold()
    return [_result(o) for o in _shared_client().list_organizations() if needle in o.name.casefold()]


def get_current_organization() -> OrganizationResult:
    """The organization the configured key belongs to (the partner's owner organization for a partner key)."""
    return _result(_shared_client().current_organization())


def get_organization_output(
    *, id: pulumi.Input[str] | None = None, name: pulumi.Input[str] | None = None
) -> pulumi.Output[OrganizationResult]:
    return pulumi.Output.all(id, name).apply(lambda v: get_organization(id=v[0], name=v[1]))


def get_organizations_output(
    *, name_filter: pulumi.Input[str] | None = None
) -> pulumi.Output[list[OrganizationResult]]:
    return pulumi.Output.from_input(name_filter).apply(lambda f: get_organizations(name_filter=f))


def get_current_organization_output() -> pulumi.Output[OrganizationResult]:
    return pulumi.Output.from_input(None).apply(lambda _: get_current_organization())
