"""The User's property names, with no dependencies (a program's import loads neither pydantic nor httpx).

Bookkeeping shared with the Organization (fields.py): `adopt_id`, the create key and the account.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ROLE",
    "READ_FIELDS",
    "RESOLVED_ROLE_IDS",
    "ROLE",
    "ROLE_IDS",
    "USER_DESCRIPTIONS",
    "USER_FIELDS",
]

ROLE = "role"
ROLE_IDS = "role_ids"
USER_FIELDS = ("organization_id", "email", ROLE_IDS, ROLE)
# What a read compares with the stored outputs (the API's own `role` follows from `role_ids`).
READ_FIELDS = ("organization_id", "email", ROLE_IDS)
# The role ids `check` resolved the declared role (or the default) to: recorded in the inputs, so that the
# diff compares ids with ids and a role name is looked up once per organization and operation.
RESOLVED_ROLE_IDS = "__role_ids"
DEFAULT_ROLE = "Admin"  # what the API assigns when neither role nor role_ids is sent

# What each field means, as the plugin's schema (and so every typed SDK) documents it.
USER_DESCRIPTIONS = {
    "organization_id": "The id of the user's organization, usually an Organization's id. Another id replaces "
    "the user.",
    "email": (
        "Sign-in address. The API stores it lower-cased: a change of letter case is no change; another "
        "address replaces the user (a new user, a new invitation)."
    ),
    ROLE_IDS: "The role ids to assign, in this order, instead of role. As an output: the assigned role ids.",
    ROLE: (
        "As an input: a role's name, such as Admin or Member, any case, resolved through the organization's "
        "roles; give role or roleIds, or neither for Admin. As an output: the API's legacy role name, admin "
        "or user."
    ),
}
