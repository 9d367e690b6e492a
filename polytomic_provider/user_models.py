"""The User's shapes: validated desired state, the wire payload, and the API's users and roles.

Wire spelling (the `data` envelope) lives here, as models.py keeps it for organizations. Validation
messages name the property and the fix and never echo a value (an email is personal data).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator

from .models import kind_of
from .problems import Problem
from .user_fields import ROLE, ROLE_IDS, USER_FIELDS

__all__ = ["MAX_EMAIL_LENGTH", "Role", "User", "UserSpec", "is_uuid", "validate_user_inputs"]

MAX_EMAIL_LENGTH = 254
# One local@domain address, no whitespace, a dot in the domain: the shape the API accepts (its own check is
# the final word; this one catches typos before any request).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")  # fullmatch: `$` let a trailing newline pass


def is_uuid(value: object) -> bool:
    """Polytomic's ids are UUIDs in canonical form (the API's path parameters are `format: uuid`)."""
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


class UserSpec(BaseModel):
    """The desired state of one user: what every POST and PUT sends, whole.

    `role_ids` are always concrete here (the operations resolve a role name, or the default Admin, first),
    so a PUT replaces the assignment with exactly what the program declares."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    email: StrictStr
    role_ids: list[StrictStr] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        _check_email(value)
        return value

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"email": self.email}
        if self.role_ids is not None:
            body["role_ids"] = list(self.role_ids)
        return body


def _check_email(value: str) -> None:
    """Raises with the reason an email is refused, naming the property and the fix."""
    if value.strip() == "":
        raise ValueError("email must not be empty: set the user's sign-in address, such as jane@example.com")
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValueError(
            f"email is {len(value)} characters long; the limit is {MAX_EMAIL_LENGTH}: shorten it"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        # Invisible characters (a zero-width space, a soft hyphen, a direction mark) pass the `\s` of the
        # pattern below and would make an address that looks like another one.
        raise ValueError(
            "email contains invisible or control characters (zero-width spaces, soft hyphens, line "
            "breaks): type the address again, such as jane@example.com"
        )
    if not _EMAIL.fullmatch(value):
        raise ValueError(
            "email must be one address such as jane@example.com (local@domain, no spaces, no name part)"
        )


class User(BaseModel):
    """A user as the API returns it (email lower-cased by the API; `role` is its legacy admin/user)."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)

    id: str
    email: str
    organization_id: str
    role: str | None = None
    role_ids: list[str] | None = Field(default=None)

    @classmethod
    def from_envelope(cls, body: Any) -> User:
        return cls.model_validate(body["data"])

    @classmethod
    def list_from_envelope(cls, body: Any) -> list[User]:
        return [cls.model_validate(item) for item in (body.get("data") or [])]

    def outputs(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "organization_id": self.organization_id,
            ROLE: self.role,
            ROLE_IDS: list(self.role_ids or []),
        }


class Role(BaseModel):
    """A permissions role of one organization (Admin and Member are the system roles of every one)."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)

    id: str
    name: str
    organization_id: str | None = None
    system: bool = False

    @classmethod
    def list_from_envelope(cls, body: Any) -> list[Role]:
        return [cls.model_validate(item) for item in (body.get("data") or [])]


def validate_user_inputs(inputs: dict[str, Any]) -> list[Problem]:
    """Every problem with the known inputs of a User, each naming its property and the fix (no value)."""
    problems: list[Problem] = []
    for name in inputs:
        if name not in USER_FIELDS:
            known = ", ".join(USER_FIELDS)
            problems.append(Problem(name, f"{name} is not a property of User (known: {known})"))
    org = inputs.get("organization_id")
    if "organization_id" in inputs and not is_uuid(org):
        problems.append(
            Problem(
                "organization_id",
                "organization_id must be the id of an organization, a UUID such as "
                "248df4b7-aa70-47b8-a036-33ac447e668d (pass the Organization resource's id)",
            )
        )
    elif "organization_id" not in inputs:
        problems.append(Problem("organization_id", "organization_id is required: set it"))
    if "email" not in inputs:
        problems.append(Problem("email", "email is required: set it"))
    else:
        problems += _email_problems(inputs["email"])
    problems += _role_problems(inputs)
    return problems


def _email_problems(value: Any) -> list[Problem]:
    if not isinstance(value, str):
        return [Problem("email", f"email must be a string, got {kind_of(value)}")]
    try:
        UserSpec(email=value)
    except ValidationError as exc:
        return [Problem("email", str(e.get("ctx", {}).get("error", e["msg"]))) for e in exc.errors()]
    return []


def _role_problems(inputs: dict[str, Any]) -> list[Problem]:
    role, role_ids = inputs.get(ROLE), inputs.get(ROLE_IDS)
    if role is not None and role_ids is not None:
        return [
            Problem(
                ROLE,
                "role and role_ids are two ways to say the same thing: give one of them (role='Member', or "
                "role_ids=[...]), or neither for Admin",
            )
        ]
    problems = []
    if role is not None and (not isinstance(role, str) or role.strip() == ""):
        problems.append(Problem(ROLE, "role must be a role's name such as 'Admin' or 'Member': set one"))
    if role_ids is not None:
        if not isinstance(role_ids, list | tuple):
            problems.append(
                Problem(ROLE_IDS, f"role_ids must be a list of role ids, got {kind_of(role_ids)}")
            )
        elif not role_ids:
            problems.append(
                Problem(
                    ROLE_IDS,
                    "role_ids must not be empty: a user needs at least one role; list its role ids, give "
                    "role='Member' instead, or leave both out for Admin",
                )
            )
        elif not all(is_uuid(item) for item in role_ids):
            problems.append(
                Problem(
                    ROLE_IDS, "role_ids must be role ids (UUIDs); to name a role, use role='Admin' instead"
                )
            )
        elif len({item.lower() for item in role_ids}) != len(role_ids):
            problems.append(Problem(ROLE_IDS, "role_ids lists a role twice: list each role once"))
    return problems
