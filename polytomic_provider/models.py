"""The Organization's shapes: validated desired state, wire payloads and API responses.

Wire spelling (the `data` envelope, field names of the REST API) lives here and nowhere else.
Validation messages name the property and the fix, and never echo a value: a rejected `client_secret`
must not end up in a CLI error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .fields import FIELDS, OIDC_FIELDS, OPTIONAL_FIELDS, READABLE_FIELDS, SECRET_FIELDS, WRITE_ONLY_FIELDS
from .problems import Problem

__all__ = [
    "FIELDS",
    "MAX_NAME_LENGTH",
    "MAX_VALUE_LENGTH",
    "OPTIONAL_FIELDS",
    "SECRET_FIELDS",
    "WRITE_ONLY_FIELDS",
    "Organization",
    "OrganizationSpec",
    "validate_inputs",
]

MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 1024

_DOMAIN_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^[A-Za-z]{2,63}$|^xn--[A-Za-z0-9-]{1,59}$")
_NO_SPACE = re.compile(r"^\S+$")


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def _check_plain_text(field: str, value: str, max_length: int, *, secret: bool = False) -> str:
    """Shared rules for every string: not blank, bounded, printable."""
    if value == "" or value.strip() == "":
        fix = "set a value or leave the argument out" if field != "name" else "give the organization a name"
        raise ValueError(f"{field} must not be empty or only whitespace: {fix}")
    if len(value) > max_length:
        raise ValueError(f"{field} is {len(value)} characters long; the limit is {max_length}: shorten it")
    if _has_control_characters(value):
        raise ValueError(f"{field} contains control characters (newlines, tabs, escapes): remove them")
    if not secret and value != value.strip():
        raise ValueError(f"{field} has leading or trailing whitespace: remove it")
    return value


class OrganizationSpec(BaseModel):
    """The desired state of one organization, as declared in a Pulumi program."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    name: StrictStr
    client_id: StrictStr | None = None
    client_secret: StrictStr | None = Field(default=None, repr=False)
    issuer: StrictStr | None = None
    sso_domain: StrictStr | None = None
    sso_org_id: StrictStr | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_plain_text("name", value, MAX_NAME_LENGTH)

    @field_validator("client_id", "sso_org_id")
    @classmethod
    def _identifier(cls, value: str | None, info: Any) -> str | None:
        if value is None:
            return None
        _check_plain_text(info.field_name, value, MAX_VALUE_LENGTH)
        if not _NO_SPACE.match(value):
            raise ValueError(f"{info.field_name} must not contain spaces: use the identifier your IdP shows")
        return value

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return (
            None
            if value is None
            else _check_plain_text("client_secret", value, MAX_VALUE_LENGTH, secret=True)
        )

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _check_plain_text("issuer", value, MAX_VALUE_LENGTH)
        match = re.match(r"^https://([^/\s?#:]+)(:\d{1,5})?(/[^\s]*)?$", value)
        if not match:
            raise ValueError(
                "issuer must be an https:// URL of your OIDC provider, such as https://login.example.com"
            )
        if not _is_domain(match.group(1)) and match.group(1) != "localhost":
            raise ValueError(
                "issuer must be an https:// URL with a valid host name, such as https://idp.example.com"
            )
        return value

    @field_validator("sso_domain")
    @classmethod
    def _sso_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        _check_plain_text("sso_domain", value, 253)
        if "://" in value or "/" in value or "@" in value:
            raise ValueError(
                "sso_domain must be a bare email domain such as example.com, not a URL or address"
            )
        if not _is_domain(value):
            raise ValueError(
                "sso_domain must be a domain name such as example.com (letters, digits, hyphens, dots)"
            )
        return value

    @model_validator(mode="after")
    def _oidc_together(self) -> OrganizationSpec:
        given = [f for f in OIDC_FIELDS if getattr(self, f) is not None]
        if given and len(given) != len(OIDC_FIELDS):
            missing = ", ".join(f for f in OIDC_FIELDS if f not in given)
            raise ValueError(
                f"OIDC needs client_id, client_secret and issuer together; {', '.join(given)} given but "
                f"{missing} missing: set {missing} too, or remove the OIDC settings"
            )
        return self

    def payload(self) -> dict[str, str]:
        """The full request body: every field that is set, so a PUT replaces the settings whole."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


def _is_domain(value: str) -> bool:
    if len(value) > 253 or "." not in value:
        return False
    labels = value.rstrip(".").split(".")
    return all(_DOMAIN_LABEL.match(label) for label in labels) and bool(_TLD.match(labels[-1]))


class Organization(BaseModel):
    """An organization as the API returns it (client_id and client_secret are never part of it)."""

    # A malformed answer is reported without its values: one may be a secret the server echoed.
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)

    id: str
    name: str
    issuer: str | None = None
    sso_domain: str | None = None
    sso_org_id: str | None = None

    @classmethod
    def from_envelope(cls, body: Any) -> Organization:
        return cls.model_validate(body["data"])

    @classmethod
    def list_from_envelope(cls, body: Any) -> list[Organization]:
        return [cls.model_validate(item) for item in (body.get("data") or [])]

    def readable(self) -> dict[str, str | None]:
        return {field: getattr(self, field) for field in READABLE_FIELDS}


def _first_missing_oidc_field(inputs: dict[str, Any]) -> str:
    """Cross-field OIDC errors are reported on the first OIDC property the program left out."""
    return next((f for f in OIDC_FIELDS if inputs.get(f) is None), OIDC_FIELDS[0])


_TYPE_NAMES = {"string_type": "a string", "missing": "set"}


def kind_of(value: Any) -> str:
    """A value's type as a person writing a program or stack config says it ("a number", not "float")."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else f"a value of type {type(value).__name__}"


def validate_inputs(inputs: dict[str, Any]) -> tuple[OrganizationSpec | None, list[Problem]]:
    """Validate fully known inputs; returns the spec or per-property problems (never echoing values)."""
    try:
        return OrganizationSpec.model_validate(inputs), []
    except ValidationError as exc:
        problems: list[Problem] = []
        for error in exc.errors(include_input=False, include_url=False):
            loc = str(error["loc"][0]) if error["loc"] else ""
            kind = error["type"]
            if kind == "missing":
                problems.append(Problem(property=loc, reason=f"{loc} is required: set it"))
            elif kind == "extra_forbidden":
                known = ", ".join(FIELDS)
                problems.append(
                    Problem(property=loc, reason=f"{loc} is not a property of Organization (known: {known})")
                )
            elif kind in _TYPE_NAMES:
                got = kind_of(inputs.get(loc))
                problems.append(Problem(property=loc, reason=f"{loc} must be {_TYPE_NAMES[kind]}, got {got}"))
            else:
                message = str(error.get("ctx", {}).get("error", error["msg"]))
                problems.append(Problem(property=loc or _first_missing_oidc_field(inputs), reason=message))
        return None, problems
