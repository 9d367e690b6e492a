"""What to tell a person when an API call fails: the cause in one line, and the setting to change."""

from __future__ import annotations

from .config import CONFIG_NAMESPACE, ENV_PARTNER_KEY
from .errors import Forbidden, PolytomicError, Unauthorized

__all__ = ["hint_for"]


def hint_for(error: PolytomicError, deployment_url: str, action: str) -> str:
    """The error reworded: credential problems name `polytomic:partnerKey` and its environment variable."""
    if isinstance(error, Unauthorized):
        return (
            f"the partner key was rejected by {deployment_url} ({error}): check "
            f"'{CONFIG_NAMESPACE}:partnerKey' or {ENV_PARTNER_KEY}"
        )
    if isinstance(error, Forbidden):
        return (
            f"the key is not allowed to {action} ({error}): organizations are managed with a partner key, "
            f"so set '{CONFIG_NAMESPACE}:partnerKey' or {ENV_PARTNER_KEY} to one "
            f"(an organization's API key is not enough)"
        )
    return str(error)
