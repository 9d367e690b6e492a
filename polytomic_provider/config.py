"""Provider settings: Pulumi stack config first, then environment variables, then defaults.

The same resolution serves the provider process (config arrives through `configure()`) and the Pulumi
program (lookups read `pulumi.Config("polytomic")`), so both talk to the same deployment with the same key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = [
    "CONFIG_NAMESPACE",
    "DEFAULT_API_VERSION",
    "DEFAULT_DEPLOYMENT_URL",
    "ENV_API_KEY",
    "ENV_API_VERSION",
    "ENV_DEPLOYMENT_URL",
    "ENV_PARTNER_KEY",
    "Secret",
    "Settings",
    "normalize_url",
    "resolve_settings",
]

CONFIG_NAMESPACE = "polytomic"
DEFAULT_DEPLOYMENT_URL = "https://app.polytomic.com"
DEFAULT_API_VERSION = "2025-09-18"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BUDGET_SECONDS = 60.0

# The Terraform provider's names, so one CI secret serves both tools.
ENV_PARTNER_KEY = "POLYTOMIC_PARTNER_KEY"
ENV_API_KEY = "POLYTOMIC_API_KEY"
ENV_DEPLOYMENT_URL = "POLYTOMIC_DEPLOYMENT_URL"
ENV_API_VERSION = "POLYTOMIC_API_VERSION"
ENV_TIMEOUT = "POLYTOMIC_REQUEST_TIMEOUT"
ENV_MAX_ATTEMPTS = "POLYTOMIC_MAX_ATTEMPTS"
ENV_RETRY_BUDGET = "POLYTOMIC_RETRY_BUDGET"

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ConfigLookup = Callable[[str], "str | None"]


class Secret:
    """A string that never shows itself in repr, str or tracebacks; `reveal()` at the point of use."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("a Secret is never pickled: it would end up in Pulumi state")


@dataclass(frozen=True)
class Settings:
    """Everything the client needs to reach one Polytomic deployment."""

    partner_key: Secret | None
    deployment_url: str = DEFAULT_DEPLOYMENT_URL
    api_version: str = DEFAULT_API_VERSION
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_budget: float = DEFAULT_RETRY_BUDGET_SECONDS

    def require_key(self) -> Secret:
        """The partner key, or an error that says exactly where to set it."""
        if self.partner_key is None:
            raise ConfigurationError(
                f"no Polytomic partner key is configured: run "
                f"'pulumi config set --secret {CONFIG_NAMESPACE}:partnerKey <key>' "
                f"or set the {ENV_PARTNER_KEY} environment variable"
            )
        return self.partner_key


def normalize_url(raw: str) -> str:
    """Add https:// when no scheme is given and drop trailing slashes, as the Terraform provider does."""
    url = raw.strip()
    if "://" not in url:
        url = f"https://{url}"
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{CONFIG_NAMESPACE}:deploymentUrl ({ENV_DEPLOYMENT_URL}) must be an http(s) URL such as "
            f"{DEFAULT_DEPLOYMENT_URL}, got {raw!r}"
        )
    return url


def _number(raw: str | None, default: float, key: str, env: str, minimum: float) -> float:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum:
        raise ConfigurationError(
            f"{CONFIG_NAMESPACE}:{key} ({env}) must be a number >= {minimum}, got {raw!r}"
        )
    return value


def resolve_settings(lookup: ConfigLookup, env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from a config lookup (key without namespace) and the environment."""
    environ = os.environ if env is None else env

    def pick(key: str, *env_names: str) -> str | None:
        value = lookup(key)
        if value not in (None, ""):
            return value
        for name in env_names:
            if environ.get(name):
                return environ[name]
        return None

    key = pick("partnerKey", ENV_PARTNER_KEY, ENV_API_KEY)
    url = normalize_url(pick("deploymentUrl", ENV_DEPLOYMENT_URL) or DEFAULT_DEPLOYMENT_URL)
    version = (pick("apiVersion", ENV_API_VERSION) or DEFAULT_API_VERSION).strip()
    if not _API_VERSION.match(version):
        raise ConfigurationError(
            f"{CONFIG_NAMESPACE}:apiVersion ({ENV_API_VERSION}) must be a date like {DEFAULT_API_VERSION}, "
            f"got {version!r}"
        )
    return Settings(
        partner_key=Secret(key.strip()) if key and key.strip() else None,
        deployment_url=url,
        api_version=version,
        timeout=_number(pick("requestTimeout", ENV_TIMEOUT), DEFAULT_TIMEOUT_SECONDS, "requestTimeout",
                        ENV_TIMEOUT, 0.1),
        max_attempts=int(_number(pick("maxAttempts", ENV_MAX_ATTEMPTS), DEFAULT_MAX_ATTEMPTS, "maxAttempts",
                                 ENV_MAX_ATTEMPTS, 1)),
        retry_budget=_number(pick("retryBudget", ENV_RETRY_BUDGET), DEFAULT_RETRY_BUDGET_SECONDS,
                             "retryBudget", ENV_RETRY_BUDGET, 1),
    )  # fmt: skip
