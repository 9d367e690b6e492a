"""Request validation and the wire shapes of the emulated API.

Why: all decisions about what a request body may contain live here, in one pydantic model, and all
decisions about what a response may reveal live in `public_view` / `admin_view`. The store deals in
`OrganizationRecord`s and never decides what is visible on the wire.

Request rules (the fact sheet only says "name required, the rest optional strings"):
- The body must be one JSON object. Types are strict: ``"name": 5`` or ``"issuer": true`` is a 422, not a
  coercion.
- ``name`` is required, must not be empty or whitespace-only, and is at most 255 characters. It is stored
  exactly as sent; uniqueness is judged on the trimmed name (see `name_key`).
- The optional fields accept a string or ``null`` and are at most 1024 characters. ``""`` is kept as an
  empty string, not turned into ``null``.
- Unknown fields are ignored, as Go's encoding/json does (Polytomic's backend is Go). Unlike Go, keys are
  matched case-sensitively: ``"Name"`` is an unknown field, so the request fails for a missing ``name``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from .errors import Unprocessable
from .jsonbody import MAX_DEPTH, too_deep

_Model = TypeVar("_Model", bound=BaseModel)

NAME_MAX_LENGTH = 255
FIELD_MAX_LENGTH = 1024

OptionalText = Annotated[str, StringConstraints(max_length=FIELD_MAX_LENGTH)] | None


class OrganizationRequest(BaseModel):
    """Body of POST /api/organizations and PUT /api/organizations/{id} (one schema for both)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    name: Annotated[str, StringConstraints(max_length=NAME_MAX_LENGTH)]
    client_id: OptionalText = None
    client_secret: OptionalText = Field(default=None, repr=False)
    issuer: OptionalText = None
    sso_domain: OptionalText = None
    sso_org_id: OptionalText = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


#: A path id as the API documents it (``format: uuid``): 36 hyphenated hex characters, any case.
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_organization_request(raw: bytes) -> OrganizationRequest:
    """Validate a raw request body, raising a 422 that names the offending fields (never their values)."""
    return _validated(OrganizationRequest, raw)


def _validated(model: type[_Model], raw: bytes) -> _Model:
    """`raw` as one `model`, or a 422 naming the offending fields (never their values)."""
    if too_deep(raw):
        raise Unprocessable(
            "request body must be a JSON object",
            key="invalid_body",
            metadata={"fields": {"body": f"is nested more than {MAX_DEPTH} levels deep"}},
        )
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise _unprocessable(exc) from None


def _unprocessable(exc: ValidationError) -> Unprocessable:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in error["loc"])
        fields.setdefault(location or "body", _describe(error))
    if "body" in fields or not fields:
        return Unprocessable(
            "request body must be a JSON object", key="invalid_body", metadata={"fields": fields}
        )
    message = "; ".join(f"{name}: {problem}" for name, problem in fields.items())
    return Unprocessable(message, key="validation_failed", metadata={"fields": fields})


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "json_invalid":
        return "is not valid JSON"
    if kind in ("string_type", "model_type", "model_attributes_type"):
        return "must be a string" if error["loc"] else "must be a JSON object"
    if kind == "string_too_long":
        return f"must be at most {error['ctx']['max_length']} characters"
    if kind == "value_error":
        cause = error.get("ctx", {}).get("error")
        return str(cause) if cause is not None else "must not be empty"
    if kind == "list_type":
        return "must be a list of strings"
    return "is invalid"


def name_key(name: str) -> str:
    """The form of a name that uniqueness is judged on: surrounding whitespace removed, case kept."""
    return name.strip()


@dataclass(frozen=True)
class OrganizationRecord:
    """One stored organization, secrets included. Only `public_view` and `admin_view` leave the process."""

    id: str
    name: str
    client_id: str | None
    client_secret: str | None
    issuer: str | None
    sso_domain: str | None
    sso_org_id: str | None
    is_owner: bool
    api_key_org: bool
    created_at: str
    updated_at: str

    def public_view(self) -> dict[str, Any]:
        """What the public API returns: client_id and client_secret are write-only there."""
        return {
            "id": self.id,
            "name": self.name,
            "issuer": self.issuer,
            "sso_domain": self.sso_domain,
            "sso_org_id": self.sso_org_id,
        }

    def admin_view(self) -> dict[str, Any]:
        """What the control plane returns: client_id, and only a fingerprint of the secret."""
        digest = (
            hashlib.sha256(self.client_secret.encode()).hexdigest()
            if self.client_secret is not None
            else None
        )
        return {
            **self.public_view(),
            "client_id": self.client_id,
            "has_client_secret": self.client_secret is not None,
            "client_secret_sha256": digest,
            "is_owner": self.is_owner,
            "api_key_org": self.api_key_org,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


# -- users and roles --------------------------------------------------------------------------------------
#
# Request rules (users-api.md has only "email required, role and role_ids optional"; the rest is chosen):
# - Strict types as for organizations; unknown fields ignored. ``null`` for ``role`` or ``role_ids`` is the
#   same as leaving the field out.
# - ``email``: one ``local@domain`` address, no whitespace, at most 254 characters; lower-cased on store.
# - ``role_ids``: a non-empty list of distinct strings; ``role`` and ``role_ids`` together are refused (422).
#   Which ids exist is the store's business (an unknown one is a 422 too).

EMAIL_MAX_LENGTH = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _check_email(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(value):
        raise ValueError("must be an email address")
    return value


def _check_role_ids(value: list[str] | None) -> list[str] | None:
    if value is None:
        return value
    if not value:
        raise ValueError("must have at least one entry")
    if len({item.lower() for item in value}) != len(value):
        raise ValueError("must not repeat a role id")
    return value


class CurrentOrgUpdateUserRequest(BaseModel):
    """Body of PUT /api/organization/users/{id}: the role assignment only."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    role: Annotated[str, StringConstraints(max_length=FIELD_MAX_LENGTH)] | None = None
    role_ids: list[Annotated[str, StringConstraints(max_length=FIELD_MAX_LENGTH)]] | None = None

    @field_validator("role_ids")
    @classmethod
    def _valid_role_ids(cls, value: list[str] | None) -> list[str] | None:
        return _check_role_ids(value)


class UserRequest(CurrentOrgUpdateUserRequest):
    """Body of POST (both levels) and of the partner-level PUT: ``email`` is required by all three (the
    PUT's is validated, then ignored: PUT changes role assignments only)."""

    email: str

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return _check_email(value)


def parse_user_request(raw: bytes, *, with_email: bool = True) -> CurrentOrgUpdateUserRequest:
    """Validate a user body, raising a 422 that names the offending fields (never their values)."""
    request = _validated(UserRequest if with_email else CurrentOrgUpdateUserRequest, raw)
    if request.role is not None and request.role_ids is not None:
        fields = {"role": "cannot be sent together with role_ids"}
        raise Unprocessable(
            "role: cannot be sent together with role_ids",
            key="validation_failed",
            metadata={"fields": fields},
        )
    return request


@dataclass(frozen=True)
class UserRecord:
    """One stored user of an organization."""

    id: str
    organization_id: str
    email: str
    role: str
    role_ids: tuple[str, ...]
    created_at: str
    updated_at: str

    def public_view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "organization_id": self.organization_id,
            "role": self.role,
            "role_ids": list(self.role_ids),
        }


@dataclass(frozen=True)
class RoleRecord:
    """One permissions role of an organization (the system roles Admin and Member, for now)."""

    id: str
    organization_id: str
    name: str
    system: bool

    def public_view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "organization_id": self.organization_id,
            "system": self.system,
        }
