"""The UserApiKey's properties, with no dependencies: names, and a definition of each that any front end
(the dynamic resource now, the provider plugin's schema later) reads instead of restating it.

Bookkeeping shared with the other resources (fields.py): the create key (the mint's Idempotency-Key) and
the account.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "API_KEY_INPUTS",
    "API_KEY_OUTPUTS",
    "API_KEY_PROPERTIES",
    "FORCE",
    "KEEPERS",
    "REPLACING_INPUTS",
    "SECRET_OUTPUTS",
    "VALUE",
    "ApiKeyProperty",
]

KEEPERS = "keepers"
FORCE = "force"
VALUE = "value"


@dataclass(frozen=True)
class ApiKeyProperty:
    """One property, as a schema states it: `kind` is a Pulumi schema type ("string", "boolean", or
    "map" of strings); `replaces`: a change mints a new key; `secret`: always a secret, in state too."""

    name: str
    kind: str
    description: str
    required: bool = False
    input: bool = True
    replaces: bool = False
    secret: bool = False


API_KEY_PROPERTIES = (
    ApiKeyProperty(
        "organization_id",
        "string",
        "The organization's id (an Organization's id). Another id mints a key for that organization's user.",
        required=True,
        replaces=True,
    ),
    ApiKeyProperty(
        "user_id",
        "string",
        "The user's id (a User's id). The key acts as an organization-scoped key of the user's organization. "
        "Another id mints a key for that user; the old user's key keeps working (there is no revoke call).",
        required=True,
        replaces=True,
    ),
    ApiKeyProperty(
        KEEPERS,
        "map",
        "Arbitrary strings; changing any of them rotates the key: a new key is minted with force=true, "
        "which revokes the old one (and every other key of the user).",
        replaces=True,
    ),
    ApiKeyProperty(
        FORCE,
        "boolean",
        "Whether the first mint may revoke keys of the user that this stack did not mint (default false: "
        "they are never revoked silently). Only read when the resource is created; a rotation always "
        "revokes the stack's own key.",
    ),
    ApiKeyProperty(
        VALUE,
        "string",
        "The API key, shown once by the API and kept only in the stack's encrypted state. Always a secret.",
        input=False,
        secret=True,
    ),
)
API_KEY_INPUTS = tuple(p.name for p in API_KEY_PROPERTIES if p.input)
API_KEY_OUTPUTS = tuple(p.name for p in API_KEY_PROPERTIES)
REPLACING_INPUTS = tuple(p.name for p in API_KEY_PROPERTIES if p.replaces)
SECRET_OUTPUTS = tuple(p.name for p in API_KEY_PROPERTIES if p.secret)
