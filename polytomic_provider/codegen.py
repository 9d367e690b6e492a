"""Turn the organizations of a partner account into a Pulumi program that adopts each of them.

`render_program` is pure (no I/O, no Pulumi SDK): the command-line tool (cli.py) fetches the organizations
and writes what this returns. Every organization becomes one `Organization(...)` with `adopt_id`, declaring
exactly the values the API returned, so the first `pulumi up` takes them over without a POST and without a
PUT, except where OIDC is configured: client_id and client_secret are write-only on the API, so the program
reads them from stack config and the first `up` sends them once.

Each declared organization's users (`with_users`) follow it as `User(...)`s with `adopt_id`, their email
and role ids exactly as the API returned them, so the first `up` sends no invitation and no `PUT`.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .config import CONFIG_NAMESPACE, DEFAULT_DEPLOYMENT_URL, ENV_PARTNER_KEY
from .models import Organization, validate_inputs
from .version import __version__

if TYPE_CHECKING:
    from .user_models import User

__all__ = [
    "Declaration",
    "UserDeclaration",
    "plan_declarations",
    "python_literal",
    "render_program",
    "resource_name",
    "with_users",
]

MAX_NAME_LENGTH = 60
# Names the generated module itself uses, so a declaration must not take them.
_TAKEN_BY_PROGRAM = frozenset({"pulumi", "config", "Organization", "OrganizationArgs", "User", "UserArgs"})
_RESERVED = (
    frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | _TAKEN_BY_PROGRAM
)
# Safe inside the docstring, and free of credentials: no user:password@, no ?query or #fragment.
_PLAIN_URL = re.compile(r"[A-Za-z0-9._~:/\[\]!$&()*+,;=%-]+")
_PLACEHOLDER = "placeholder"  # stands for a write-only value when the declaration is validated


@dataclass(frozen=True)
class UserDeclaration:
    """One user to declare, after its organization: its Pulumi resource name (also the variable)."""

    variable: str
    user: User


@dataclass(frozen=True)
class Declaration:
    """One organization to declare: its Pulumi resource name (also the Python variable), options and the
    users declared after it."""

    variable: str
    organization: Organization
    owner: bool = False
    retain_on_delete: bool = False
    users: tuple[UserDeclaration, ...] = ()

    @property
    def has_oidc(self) -> bool:
        """An issuer means OIDC is configured, so client_id and client_secret must be declared too."""
        return self.organization.issuer is not None

    @property
    def client_id_key(self) -> str:
        return f"{self.variable}_client_id"

    @property
    def client_secret_key(self) -> str:
        return f"{self.variable}_client_secret"

    def problems(self) -> list[str]:
        """Why `pulumi preview` would reject these values (the API accepts some the provider does not)."""
        inputs: dict[str, str | None] = dict(self.organization.readable())
        if self.has_oidc:
            inputs.update(client_id=_PLACEHOLDER, client_secret=_PLACEHOLDER)
        _, problems = validate_inputs({k: v for k, v in inputs.items() if v is not None})
        return [problem.reason for problem in problems]


def python_literal(value: str) -> str:
    """A Python string literal for any text, in double quotes when that needs no escaping."""
    text = repr(value)
    if text.startswith("'") and '"' not in value and "'" not in value:
        text = f'"{text[1:-1]}"'
    return text


def resource_name(organization_name: str, taken: Iterable[str] = ()) -> str:
    """A snake_case name from an organization's name that is a valid Python identifier (not a keyword, not a
    builtin) and a valid Pulumi resource name, made unique against `taken` with a numeric suffix."""
    ascii_text = unicodedata.normalize("NFKD", organization_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    slug = slug[:MAX_NAME_LENGTH].rstrip("_") or "organization"
    if slug[0].isdigit():
        slug = f"org_{slug}"
    if slug in _RESERVED:
        slug = f"{slug}_org"
    used = set(taken)
    candidate, number = slug, 1
    while candidate in used:
        number += 1
        candidate = f"{slug}_{number}"
    return candidate


def plan_declarations(
    organizations: Sequence[Organization],
    *,
    owner_id: str | None,
    include_owner: bool = False,
    retain_on_delete: bool = False,
) -> tuple[list[Declaration], Organization | None]:
    """The declarations ordered by name, then id, and the owner organization when it was left out.

    The order (and with it each resource name's numeric suffix) depends only on the organizations, not on
    the order the API listed them in, so the same account always gives the same program.
    """
    declarations: list[Declaration] = []
    skipped_owner: Organization | None = None
    for organization in sorted(organizations, key=lambda o: (o.name, o.id)):
        owner = organization.id == owner_id
        if owner and not include_owner:
            skipped_owner = organization
            continue
        variable = resource_name(organization.name, (d.variable for d in declarations))
        declarations.append(
            Declaration(variable, organization, owner=owner, retain_on_delete=retain_on_delete or owner)
        )
    return declarations, skipped_owner


def with_users(
    declarations: Sequence[Declaration], users_by_organization: Mapping[str, Sequence[User]]
) -> list[Declaration]:
    """The declarations, each with its organization's users (ordered by email, then id), named
    `<organization variable>_<email's local part>` and unique against every other name of the program."""
    taken = {d.variable for d in declarations}
    planned: list[Declaration] = []
    for declaration in declarations:
        users: list[UserDeclaration] = []
        listed = users_by_organization.get(declaration.organization.id, ())
        for user in sorted(listed, key=lambda u: (u.email.lower(), u.id)):
            local = user.email.split("@", 1)[0]
            variable = resource_name(f"{declaration.variable} {local}", taken)
            taken.add(variable)
            users.append(UserDeclaration(variable, user))
        planned.append(replace(declaration, users=tuple(users)))
    return planned


def render_program(
    declarations: Sequence[Declaration],
    *,
    skipped_owner: Organization | None = None,
    deployment_url: str = DEFAULT_DEPLOYMENT_URL,
) -> str:
    """The source of a `__main__.py` with these declarations (see `plan_declarations`)."""
    lines = _header(declarations, deployment_url)
    if skipped_owner is not None:
        lines += [
            "# Not declared: the partner's owner organization",
            f"#     {python_literal(skipped_owner.name)} (id {python_literal(skipped_owner.id)})",
            "# It cannot be deleted; 'polytomic-pulumi generate --include-owner' declares it with",
            "# retain_on_delete=True, so that 'pulumi destroy' only forgets it.",
            "",
        ]
    names = "Organization, OrganizationArgs"
    if any(d.users for d in declarations):
        names += ", User, UserArgs"
    lines += ["import pulumi", "", f"from polytomic_provider import {names}", ""]
    if any(d.has_oidc for d in declarations):
        lines += ["config = pulumi.Config()", ""]
    if not declarations:
        lines += ["# No organization matched: this program declares nothing.", ""]
    for declaration in declarations:
        lines += _declaration(declaration)
        for user in declaration.users:
            lines += _user_declaration(declaration, user)
    return "\n".join(lines).rstrip("\n") + "\n"


def _header(declarations: Sequence[Declaration], deployment_url: str) -> list[str]:
    lines = [
        f'"""Polytomic organizations, as generated by `polytomic-pulumi generate` ({__version__}).',
        "",
        "Each organization is declared with adopt_id: the first `pulumi up` takes the existing organization",
        "over instead of creating one, and writes to it only if the declared settings differ. Afterwards",
        "Pulumi manages it like any other resource: `pulumi destroy` deletes it unless the declaration has",
        "retain_on_delete=True.",
        "",
        "After the first `pulumi up`, delete the adopt_id lines (they are only read when a resource enters",
        "the stack), and rename a resource only with opts=pulumi.ResourceOptions(aliases=[...]): a renamed",
        "resource that still has adopt_id adopts the organization again, and the old name then deletes it.",
        "",
    ]
    if any(d.users for d in declarations):
        lines += [
            "Each organization's users follow it, declared with adopt_id too, with their email and role ids",
            "as the API holds them: the first `pulumi up` sends no invitation and changes nothing.",
            "",
        ]
    lines += [
        "Before the first `pulumi up`:",
        "",
        f"    pulumi config set --secret {CONFIG_NAMESPACE}:partnerKey <key>   # or set {ENV_PARTNER_KEY}",
    ]
    if deployment_url != DEFAULT_DEPLOYMENT_URL:
        shown = deployment_url if _PLAIN_URL.fullmatch(deployment_url) else "<deployment url>"
        lines.append(f"    pulumi config set {CONFIG_NAMESPACE}:deploymentUrl {shown}")
    oidc = [d for d in declarations if d.has_oidc]
    if oidc:
        lines += [
            "",
            "Organizations with OIDC also need their client id and secret: the API never returns them, so",
            "they cannot be generated. The first `pulumi up` sends them (one PUT per such organization):",
            "",
        ]
        for declaration in oidc:
            lines += [
                f"    pulumi config set {declaration.client_id_key} <client id>",
                f"    pulumi config set --secret {declaration.client_secret_key} <client secret>",
            ]
    lines += ['"""', ""]
    return lines


def _declaration(declaration: Declaration) -> list[str]:
    organization = declaration.organization
    lines: list[str] = []
    if declaration.owner:
        lines.append("# The partner's owner organization: it cannot be deleted, so it is retained on delete.")
    problems = declaration.problems()
    if problems:
        lines.append("# FIX BEFORE 'pulumi up': the provider rejects a value the API holds (correct it here,")
        lines.append("# and the first 'pulumi up' writes the corrected value with one PUT):")
        lines += [f"#     {problem}" for problem in problems]
    lines += [
        f"{declaration.variable} = Organization(",
        f"    {python_literal(declaration.variable)},",
        "    OrganizationArgs(",
        f"        name={python_literal(organization.name)},",
    ]
    for field in ("sso_domain", "sso_org_id", "issuer"):
        value = getattr(organization, field)
        if value is not None:
            lines.append(f"        {field}={python_literal(value)},")
    if declaration.has_oidc:
        lines += [
            "        # Write-only on the API (never returned), so they come from stack config:",
            f"        client_id=config.require({python_literal(declaration.client_id_key)}),",
            f"        client_secret=config.require_secret({python_literal(declaration.client_secret_key)}),",
        ]
    lines += [f"        adopt_id={python_literal(organization.id)},", "    ),"]
    if declaration.retain_on_delete:
        lines.append("    opts=pulumi.ResourceOptions(retain_on_delete=True),")
    lines += [")", ""]
    return lines


def _user_declaration(organization: Declaration, declared: UserDeclaration) -> list[str]:
    user = declared.user
    lines = [
        f"{declared.variable} = User(",
        f"    {python_literal(declared.variable)},",
        "    UserArgs(",
        f"        organization_id={organization.variable}.id,",
        f"        email={python_literal(user.email)},",
    ]
    if user.role_ids:
        roles = ", ".join(python_literal(role_id) for role_id in user.role_ids)
        lines.append(f"        role_ids=[{roles}],")
    else:
        lines.append(
            "        # No role ids returned by the API: the user is declared an Admin (the default)."
        )
    lines += [f"        adopt_id={python_literal(user.id)},", "    ),"]
    if organization.retain_on_delete:
        lines.append("    opts=pulumi.ResourceOptions(retain_on_delete=True),")
    lines += [")", ""]
    return lines
