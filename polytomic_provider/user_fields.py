"""The User's property names, with no dependencies (a program's import loads neither pydantic nor httpx).

Bookkeeping shared with the Organization (fields.py): `adopt_id`, the create key and the account.
"""

from __future__ import annotations

__all__ = ["DEFAULT_ROLE", "READ_FIELDS", "RESOLVED_ROLE_IDS", "ROLE", "ROLE_IDS", "USER_FIELDS"]

ROLE = "role"
ROLE_IDS = "role_ids"
USER_FIELDS = ("organization_id", "email", ROLE_IDS, ROLE)
# What a read compares with the stored outputs (the API's own `role` follows from `role_ids`).
READ_FIELDS = ("organization_id", "email", ROLE_IDS)
# The role ids `check` resolved the declared role (or the default) to: recorded in the inputs, so that the
# diff compares ids with ids and a role name is looked up once per organization and operation.
RESOLVED_ROLE_IDS = "__role_ids"
DEFAULT_ROLE = "Admin"  # what the API assigns when neither role nor role_ids is sent
