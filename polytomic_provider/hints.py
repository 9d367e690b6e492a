"""What to tell a person when an API call fails: the cause in one line, and the setting to change."""

from __future__ import annotations

from .config import CONFIG_NAMESPACE, ENV_PARTNER_KEY
from .errors import ConfigurationError, Forbidden, PolytomicError, Unauthorized

__all__ = ["PROVIDER_KEY_SOURCES", "failed", "hint_for"]


PROVIDER_KEY_SOURCES = f"'{CONFIG_NAMESPACE}:partnerKey' or {ENV_PARTNER_KEY}"
"""Where the provider reads the partner key from (the command-line tool reads only the environment)."""


def hint_for(
    error: PolytomicError, deployment_url: str, action: str, *, key_from: str = PROVIDER_KEY_SOURCES
) -> str:
    """The error reworded: credential problems name where the partner key comes from (`key_from`)."""
    if isinstance(error, Unauthorized):
        return f"the partner key was rejected by {deployment_url} ({error}): check {key_from}"
    if isinstance(error, Forbidden):
        return (
            f"the key is not allowed to {action} ({error}): organizations are managed with a partner key, "
            f"so set {key_from} to one (an organization's API key is not enough)"
        )
    return str(error)


def failed(error: PolytomicError, label: str, verb: str, deployment_url: str, subject: str) -> str:
    """What a failed call of the core says to a person reading CLI output: what failed (`<label>: <verb>
    failed`), why, and what to do. A configuration error names the setting already."""
    if isinstance(error, ConfigurationError):
        return f"{label}: {verb} failed: {error}"
    return f"{label}: {verb} failed: {hint_for(error, deployment_url, f'{verb} {subject}')}"
