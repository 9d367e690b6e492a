"""polytomic-pulumi: manage Polytomic organizations and their users with Pulumi.

    from polytomic_provider import Organization, OrganizationArgs, User, UserArgs, UserApiKey

Public names are imported lazily, so that the command-line tool starts without loading the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .lookups import (
        OrganizationLookupError,
        OrganizationResult,
        get_current_organization,
        get_current_organization_output,
        get_organization,
        get_organization_output,
        get_organizations,
        get_organizations_output,
    )
    from .resource import Organization, OrganizationArgs
    from .user_api_key_resource import UserApiKey, UserApiKeyArgs
    from .user_lookups import (
        UserLookupError,
        UserResult,
        get_user,
        get_user_output,
        get_users,
        get_users_output,
    )
    from .user_resource import User, UserArgs

__all__ = [
    "Organization",
    "OrganizationArgs",
    "OrganizationLookupError",
    "OrganizationResult",
    "User",
    "UserApiKey",
    "UserApiKeyArgs",
    "UserArgs",
    "UserLookupError",
    "UserResult",
    "__version__",
    "get_current_organization",
    "get_current_organization_output",
    "get_organization",
    "get_organization_output",
    "get_organizations",
    "get_organizations_output",
    "get_user",
    "get_user_output",
    "get_users",
    "get_users_output",
]

_LAZY = {
    "Organization": "resource",
    "OrganizationArgs": "resource",
    "OrganizationLookupError": "lookups",
    "OrganizationResult": "lookups",
    "User": "user_resource",
    "UserArgs": "user_resource",
    "UserApiKey": "user_api_key_resource",
    "UserApiKeyArgs": "user_api_key_resource",
    "UserLookupError": "user_lookups",
    "UserResult": "user_lookups",
    "get_user": "user_lookups",
    "get_user_output": "user_lookups",
    "get_users": "user_lookups",
    "get_users_output": "user_lookups",
    "get_current_organization": "lookups",
    "get_current_organization_output": "lookups",
    "get_organization": "lookups",
    "get_organization_output": "lookups",
    "get_organizations": "lookups",
    "get_organizations_output": "lookups",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'polytomic_provider' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
