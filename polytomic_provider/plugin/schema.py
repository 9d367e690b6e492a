"""The plugin's package schema, written from the core's definitions: the fields and what they mean
(fields.py), the settings (config.SETTING_DOCS), the type tokens (frontend.py) and the version.

`schema.json` beside this module is this schema as a file, for tools that read one (`pulumi package
gen-sdk`, a package page): `make schema` writes it, and a test fails when the file, the schema the plugin
serves and the core disagree. Run as a module, it prints the schema.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from ..config import CONFIG_NAMESPACE, SETTING_DOCS
from ..fields import DESCRIPTIONS, FIELDS, LOOKUP_DESCRIPTIONS, SECRET_FIELDS
from ..frontend import PLUGIN_TYPE, USER_API_KEY_PLUGIN_TYPE, USER_PLUGIN_TYPE, camel_case
from ..user_api_key_fields import API_KEY_PROPERTIES, ApiKeyProperty
from ..user_fields import ROLE_IDS, USER_DESCRIPTIONS, USER_FIELDS
from ..version import __version__

__all__ = ["PACKAGE", "build_schema", "schema_text"]

PACKAGE = "polytomic"
RESULT_TYPE = f"{PACKAGE}:index:OrganizationResult"
USER_RESULT_TYPE = f"{PACKAGE}:index:UserResult"
# The project's home, as the Go module paths name it (toolchain/go.mod, the Go SDK's import path).
REPOSITORY = "https://github.com/polytomic-pulumi/polytomic-pulumi"
PULUMI_NODEJS_SDK = "^3.269.0"


def _field(field: str, description: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "string"}
    if field in SECRET_FIELDS:
        spec["secret"] = True
    spec["description"] = description
    return spec


def _organization() -> dict[str, Any]:
    properties = {camel_case(field): _field(field, DESCRIPTIONS[field]) for field in FIELDS}
    return {
        "description": (
            "An organization in the Polytomic partner account. Polytomic replaces the SSO and OIDC settings "
            "in full on every update, so the whole declared payload is sent each time and a property removed "
            "from the program is cleared on the server. clientId, clientSecret and issuer are set all three "
            "or none."
        ),
        "properties": properties,
        "required": ["name"],
        "inputProperties": properties,
        "requiredInputs": ["name"],
    }


def _user_field(field: str, description: str) -> dict[str, Any]:
    if field == ROLE_IDS:
        return {"type": "array", "items": {"type": "string"}, "description": description}
    return {"type": "string", "description": description}


def _user() -> dict[str, Any]:
    """The User: what the program declares, and what the API answers under the same names."""
    properties = {camel_case(field): _user_field(field, USER_DESCRIPTIONS[field]) for field in USER_FIELDS}
    return {
        "description": (
            "A user of an organization, managed at partner level. Creating one sends its invitation (once, "
            "however often the request is retried). Import an existing user with its organization: "
            "'<organization id>/<user id>' or '<organization id>/<email>'; it is stored under its own id."
        ),
        "properties": properties,
        "required": ["organizationId", "email", "roleIds"],
        "inputProperties": properties,
        "requiredInputs": ["organizationId", "email"],
    }


def _api_key_property(prop: ApiKeyProperty) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": prop.kind}
    if prop.kind == "map":
        spec = {"type": "object", "additionalProperties": {"type": "string"}}
    if prop.secret:
        spec["secret"] = True
    spec["description"] = prop.description
    return spec


def _user_api_key() -> dict[str, Any]:
    """The UserApiKey, from its definitions (user_api_key_fields.py): `value` an output and a secret."""
    properties = {camel_case(p.name): _api_key_property(p) for p in API_KEY_PROPERTIES}
    return {
        "description": (
            "An API key minted for a user; it acts as an organization-scoped key of the user's organization. "
            "The API shows it once, so it is kept only in the stack's encrypted state (value, always a "
            "secret). Changing keepers rotates it; deleting the resource sends nothing (there is no revoke "
            "call). It cannot be imported."
        ),
        "properties": properties,
        "required": [camel_case(p.name) for p in API_KEY_PROPERTIES],
        "inputProperties": {
            camel_case(p.name): properties[camel_case(p.name)] for p in API_KEY_PROPERTIES if p.input
        },
        "requiredInputs": [camel_case(p.name) for p in API_KEY_PROPERTIES if p.input and p.required],
    }


def _user_result() -> dict[str, Any]:
    properties = {"id": {"type": "string", "description": "The user's id."}}
    properties.update(
        {camel_case(field): _user_field(field, USER_DESCRIPTIONS[field]) for field in USER_FIELDS}
    )
    return {"properties": properties, "required": ["id", "email", "organizationId", "roleIds"]}


def _user_functions() -> dict[str, Any]:
    organization = {"type": "string", "description": "The id of the users' organization."}
    return {
        f"{PACKAGE}:index:getUser": {
            "description": (
                "The user of the organization with this id, or with this email (compared ignoring case). "
                "Give exactly one of id and email. Fails when there is none."
            ),
            "inputs": {
                "properties": {
                    "organizationId": organization,
                    "id": {"type": "string", "description": "The user's id."},
                    "email": {"type": "string", "description": "The user's email, any case."},
                },
                "required": ["organizationId"],
            },
            "outputs": _user_result(),
        },
        f"{PACKAGE}:index:getUsers": {
            "description": "Every user of the organization, in the order the API lists them.",
            "inputs": {"properties": {"organizationId": organization}, "required": ["organizationId"]},
            "outputs": {
                "properties": {
                    "users": {
                        "type": "array",
                        "items": {"$ref": f"#/types/{USER_RESULT_TYPE}"},
                        "description": "The users found.",
                    }
                },
                "required": ["users"],
            },
        },
    }


def _result() -> dict[str, Any]:
    return {
        "properties": {camel_case(key): _field(key, text) for key, text in LOOKUP_DESCRIPTIONS.items()},
        "required": ["id", "name"],
    }


def _settings(*, with_command: bool) -> dict[str, Any]:
    settings = {}
    for doc in SETTING_DOCS:
        spec: dict[str, Any] = {"type": doc.type}
        if doc.secret:
            spec["secret"] = True
        description = doc.description
        if with_command and doc.secret:
            description += f" Set it with 'pulumi config set --secret {CONFIG_NAMESPACE}:{doc.key} <key>'."
        spec["description"] = description
        settings[doc.key] = spec
    return settings


def _functions() -> dict[str, Any]:
    return {
        f"{PACKAGE}:index:getOrganization": {
            "description": (
                "The organization with this id, or with exactly this name (case included), in the partner "
                "account. Give exactly one of id and name. Fails when there is none."
            ),
            "inputs": {
                "properties": {
                    "id": {"type": "string", "description": "The organization's id."},
                    "name": {"type": "string", "description": "The organization's exact name."},
                }
            },
            "outputs": _result(),
        },
        f"{PACKAGE}:index:getOrganizations": {
            "description": (
                "Every organization in the partner account, the partner's owner organization first."
            ),
            "inputs": {
                "properties": {
                    "nameFilter": {
                        "type": "string",
                        "description": (
                            "Keep only organizations whose name contains this text (case-insensitive)."
                        ),
                    }
                }
            },
            "outputs": {
                "properties": {
                    "organizations": {
                        "type": "array",
                        "items": {"$ref": f"#/types/{RESULT_TYPE}"},
                        "description": "The organizations found.",
                    }
                },
                "required": ["organizations"],
            },
        },
        f"{PACKAGE}:index:getCurrentOrganization": {
            "description": (
                "The organization the configured key belongs to: the partner's owner organization for a "
                "partner key."
            ),
            "outputs": _result(),
        },
        **_user_functions(),
    }


def build_schema() -> dict[str, Any]:
    """The package schema of this release. No `pluginDownloadURL`: where a packager publishes the plugin
    archive is theirs to add."""
    return {
        "name": PACKAGE,
        "displayName": "Polytomic",
        "version": __version__,
        "description": (
            "Manage Polytomic organizations (name, SSO and OIDC settings), their users and the users' API "
            "keys in a partner account."
        ),
        "keywords": ["pulumi", "polytomic", "category/utility", "kind/native"],
        "homepage": REPOSITORY,
        "repository": REPOSITORY,
        "license": "Apache-2.0",
        "publisher": "polytomic-pulumi",
        "config": {"variables": _settings(with_command=True)},
        "provider": {
            "description": (
                f"The provider type for the {PACKAGE} package: one Polytomic partner account. Every setting "
                f"falls back to its environment variable, then to its default, as the stack configuration "
                f"{CONFIG_NAMESPACE}:* does."
            ),
            "inputProperties": _settings(with_command=False),
        },
        "resources": {
            PLUGIN_TYPE: _organization(),
            USER_PLUGIN_TYPE: _user(),
            USER_API_KEY_PLUGIN_TYPE: _user_api_key(),
        },
        "types": {
            RESULT_TYPE: {
                "type": "object",
                "description": (
                    "What the API tells about an organization (clientId and clientSecret are write-only, so "
                    "never part of it)."
                ),
                **_result(),
            },
            USER_RESULT_TYPE: {
                "type": "object",
                "description": "What the API tells about a user (its email lower-cased).",
                **_user_result(),
            },
        },
        "functions": _functions(),
        "language": {
            "nodejs": {
                "packageName": "@polytomic/pulumi",
                "dependencies": {"@pulumi/pulumi": PULUMI_NODEJS_SDK},
                "respectSchemaVersion": True,  # the SDK gets the package version, not "${VERSION}"
            },
            "python": {
                "packageName": "pulumi_polytomic",
                "requires": {"pulumi": ">=3.0.0,<4.0.0"},
                "respectSchemaVersion": True,
            },
            "go": {"importBasePath": "github.com/polytomic-pulumi/polytomic-pulumi/sdk/go/polytomic"},
        },
    }


def schema_text() -> str:
    """The schema as schema.json holds it."""
    return json.dumps(build_schema(), indent=2) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
