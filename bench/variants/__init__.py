"""Variants of the Organization provider for what-if measurements (``bench/run.py --experiments``).

Each one changes a single thing, so that the benchmark can say what a proposed change to the provider would
save before anyone makes it. None of this is used by the project itself.

- `LightProvider`: this module imports only the Pulumi SDK, and the real `OrganizationProvider` (with httpx,
  pydantic and stamina) is imported on first use, in the provider process. The program then never loads
  them: that is the cost of the program importing `polytomic_provider.resource` today.
  (A "no readback" variant measured creates without the GET that followed each POST; creates are one
  POST since the ownership-safe creates, so it was retired.)

`Organization` declares the resource exactly as `polytomic_provider.resource.Organization` does (same
type token, same inputs, same secret outputs), with one of these providers.
"""

from __future__ import annotations

import threading
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import ConfigureRequest, ResourceProvider

from polytomic_provider.fields import ADOPT_ID, CREATE_KEY, FIELDS  # names only: no pydantic, no httpx

_LOCK = threading.Lock()
_REAL: list[Any] = []


def _real() -> Any:
    with _LOCK:
        if not _REAL:
            from polytomic_provider.provider import OrganizationProvider

            _REAL.append(OrganizationProvider())
        return _REAL[0]


class LightProvider(ResourceProvider):
    serialize_as_secret_always = False

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def configure(self, req: ConfigureRequest) -> None:
        _real().configure(req)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real().check(olds, news)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real().diff(id_, olds, news)

    def create(self, props: dict[str, Any]) -> Any:
        return _real().create(props)

    def read(self, id_: str, props: dict[str, Any]) -> Any:
        return _real().read(id_, props)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return _real().update(id_, olds, news)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _real().delete(id_, props)


class Organization(pulumi.dynamic.Resource, module="polytomic", name="Organization"):
    def __init__(self, resource_name: str, name: str, provider: ResourceProvider) -> None:
        props: dict[str, Any] = dict.fromkeys(FIELDS)
        props["name"] = name
        props[ADOPT_ID] = None
        opts = pulumi.ResourceOptions(
            additional_secret_outputs=["client_secret"],
            ignore_changes=[CREATE_KEY],
            delete_before_replace=True,
        )
        super().__init__(provider, resource_name, props, opts)
