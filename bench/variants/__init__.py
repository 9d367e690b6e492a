"""Variants of the Organization provider for what-if measurements (``bench/run.py --experiments``).

Each one changes a single thing, so that the benchmark can say what a proposed change to the provider would
save before anyone makes it. None of this is used by the project itself.

- `LightProvider`: this module imports only the Pulumi SDK, and the real `OrganizationProvider` (with httpx,
  pydantic and stamina) is imported on first use, in the provider process. The program then never loads
  them: that is the cost of the program importing `polytomic_provider.resource` today.
- `LightNoReadbackProvider`: the same, and `create()` trusts the POST's response instead of reading the
  organization back with a GET (the GET guards against a replayed create of a since-deleted organization;
  a fix would do it only when the response says `Idempotent-Replayed: true`).

`Organization` declares the resource exactly as `polytomic_provider.resource.Organization` does (same
type token, same inputs, same secret outputs), with one of these providers.
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import ConfigureRequest, ResourceProvider

# Copies of polytomic_provider.models.FIELDS and the two pass-through inputs, so as not to import it.
FIELDS = ("name", "client_id", "client_secret", "issuer", "sso_domain", "sso_org_id")
ADOPT_ID = "adopt_id"
CREATE_SCOPE = "__create_scope"

_LOCK = threading.Lock()
_REAL: dict[bool, Any] = {}


def _real(readback: bool) -> Any:
    with _LOCK:
        if readback not in _REAL:
            from polytomic_provider.provider import OrganizationProvider, creation_key
            from polytomic_provider.runtime import RUNTIME

            if readback:
                _REAL[readback] = OrganizationProvider()
            else:

                class NoReadback(OrganizationProvider):
                    def _create(self, spec: Any, scope: str, label: str) -> Any:
                        key = creation_key(scope, spec) if scope else None
                        return RUNTIME.client().create_organization(spec, idempotency_key=key)

                _REAL[readback] = NoReadback()
        return _REAL[readback]


class LightProvider(ResourceProvider):
    serialize_as_secret_always = False
    readback = True

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def configure(self, req: ConfigureRequest) -> None:
        _real(self.readback).configure(req)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real(self.readback).check(olds, news)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real(self.readback).diff(id_, olds, news)

    def create(self, props: dict[str, Any]) -> Any:
        return _real(self.readback).create(props)

    def read(self, id_: str, props: dict[str, Any]) -> Any:
        return _real(self.readback).read(id_, props)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real(self.readback).update(id_, olds, news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _real(self.readback).delete(id_, props)


class LightNoReadbackProvider(LightProvider):
    readback = False


class Organization(pulumi.dynamic.Resource, module="polytomic", name="Organization"):
    def __init__(self, resource_name: str, name: str, provider: ResourceProvider) -> None:
        props: dict[str, Any] = dict.fromkeys(FIELDS)
        props["name"] = name
        props[ADOPT_ID] = None
        props[CREATE_SCOPE] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        opts = pulumi.ResourceOptions(additional_secret_outputs=["client_secret"])
        super().__init__(provider, resource_name, props, opts)
