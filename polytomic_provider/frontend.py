"""How a front end speaks to its users: property spelling and the exact commands to take over or keep an
organization.

The core (operations.py) decides what to say; a front end only says how its users write it. The dynamic
provider is used from Python (`sso_domain`, `adopt_id=...`), the plugin from any language (`ssoDomain`,
`pulumi import`).
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass

from .fields import FIELDS
from .user_fields import USER_FIELDS

__all__ = [
    "DYNAMIC",
    "DYNAMIC_TYPE",
    "NAME_IS_SECRET",
    "PLUGIN",
    "PLUGIN_TYPE",
    "USER_API_KEY_PLUGIN_TYPE",
    "USER_PLUGIN_TYPE",
    "Frontend",
    "camel_case",
    "frontend_of",
    "shown_name",
    "snake_case",
]

NAME_IS_SECRET: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "polytomic_name_is_secret", default=False
)
"""Set by a front end for a call whose `name` the program marked secret: messages then never repeat it.
(The plugin knows; the dynamic provider host strips the secret marks before its calls, so it cannot.)"""


def shown_name(name: object) -> str:
    """An organization's name as a message quotes it: `'acme'`, or `[secret]` when the program hid it."""
    return "[secret]" if NAME_IS_SECRET.get() else repr(name)


def camel_case(name: str) -> str:
    """`sso_org_id` -> `ssoOrgId`: the schema's spelling of a property."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_SNAKE = {camel_case(field): field for field in FIELDS}


def snake_case(name: str) -> str:
    """A schema property (`ssoOrgId`) as the core spells it (`sso_org_id`); other keys stay as they are."""
    return _SNAKE.get(name, name)


_FIELD_WORDS = re.compile(r"\b(" + "|".join(sorted(FIELDS, key=len, reverse=True)) + r")\b")
_USER_FIELD_WORDS = re.compile(r"\b(" + "|".join(sorted(USER_FIELDS, key=len, reverse=True)) + r")\b")


DYNAMIC_TYPE = "pulumi-python:dynamic/polytomic:Organization"
"""The dynamic `Organization` type token: a `pulumi.dynamic.Resource` of module `polytomic` (resource.py)."""
PLUGIN_TYPE = "polytomic:index:Organization"
"""The plugin's type token, as its schema declares it (package `polytomic`, module `index`)."""
USER_PLUGIN_TYPE = "polytomic:index:User"
"""The plugin's User type token (the dynamic `User` is `pulumi-python:dynamic/polytomic:User`)."""
USER_API_KEY_PLUGIN_TYPE = "polytomic:index:UserApiKey"
"""The plugin's UserApiKey type token (the dynamic one is `pulumi-python:dynamic/polytomic:UserApiKey`)."""


def _dynamic_user_adoption(organization_id: str, user_id: str) -> str:
    """How a Python program takes over an existing user: by naming it, for the first `up` only."""
    return f"add adopt_id={user_id!r} to its UserArgs, run 'pulumi up', then remove adopt_id"


def _plugin_user_adoption(organization_id: str, user_id: str) -> str:
    """How any other program takes over an existing user: `pulumi import`, with the id form it reads."""
    return (
        f"run 'pulumi import {USER_PLUGIN_TYPE} <resource name> {organization_id}/{user_id}' (it adopts "
        f"exactly that user and prints the declaration for the program)"
    )


@dataclass(frozen=True)
class Frontend:
    """One front end's wording."""

    resource_type: str
    """The type token of the Organization this front end serves, as the engine records it in state."""
    property_name: Callable[[str], str]
    """A field as the user writes it in a program."""
    adopt: Callable[[str, str], str]
    """The exact way to bring the organization (name, id) under a resource of this front end."""
    keep_on_delete: str
    """How to drop an organization from the stack but keep it."""
    delete_first: str
    """How to make a replacement delete the old organization before it creates the new one."""
    adopt_elsewhere: str = ""
    """Where this front end's users name an organization to take over, when not in the resource's inputs."""
    adopt_by_id: str = ""
    """How to put an existing organization, known by id, under a resource (the id written `<id>`)."""
    adopt_user: Callable[[str, str], str] = _dynamic_user_adoption
    """The exact way to bring an existing user (organization id, user id) under a User of this front end."""
    delete_user_first: str = "set delete_before_replace=True in the User's resource options"
    """How to make a User's replacement delete the old user first (a User's replacement creates first)."""

    def spell(self, text: str) -> str:
        """`text` with every field name written the user's way (a no-op where both spellings agree)."""
        return _FIELD_WORDS.sub(lambda match: self.property_name(match.group(1)), text)

    def spell_user(self, text: str) -> str:
        """`text` with every User field name written the user's way (`role_ids` or `roleIds`)."""
        return _USER_FIELD_WORDS.sub(lambda match: self.property_name(match.group(1)), text)


def _dynamic_adoption(name: str, organization_id: str) -> str:
    """The exact ways to bring an existing organization under this resource."""
    quoted = shown_name(name)
    return (
        f"To manage that organization with this resource, adopt it: add adopt_id={organization_id!r} to the "
        f"resource's arguments (or generate the code with: polytomic-pulumi generate --name-filter {quoted}) "
        f"and run 'pulumi up' again. If an interrupted 'pulumi up' of this stack made it, run "
        f"'polytomic-pulumi recover --stack <stack>' instead: it adopts only what that run provably created"
    )


def _plugin_adoption(name: str, organization_id: str) -> str:
    quoted = shown_name(name)
    return (
        f"If this resource was renamed in the program, that is its own organization: give it the "
        f"aliases option with the old name (or run 'pulumi state rename'), and do not import it, since the "
        f"stack still holds it under the old name and would delete it. Otherwise, to manage that "
        f"organization with this resource, import it: run 'pulumi import {PLUGIN_TYPE} "
        f"<resource name> {organization_id}' (it adopts exactly that id and prints the declaration for the "
        f"program), then declare it with name {quoted}"
    )


DYNAMIC = Frontend(
    resource_type=DYNAMIC_TYPE,
    property_name=lambda name: name,
    adopt=_dynamic_adoption,
    keep_on_delete="set retain_on_delete=True on the resource",
    delete_first=(
        "remove delete_before_replace=False from the resource (replacements delete first by default)"
    ),
    adopt_by_id="add adopt_id='<id>' to the resource's arguments and run 'pulumi up'",
)
PLUGIN = Frontend(
    resource_type=PLUGIN_TYPE,
    property_name=camel_case,
    adopt=_plugin_adoption,
    keep_on_delete="set the retainOnDelete resource option",
    delete_first="set the resource option deleteBeforeReplace: true",
    adopt_elsewhere=(
        f"to take over an existing organization, run 'pulumi import {PLUGIN_TYPE} <resource name> <id>'"
    ),
    adopt_by_id=f"run 'pulumi import {PLUGIN_TYPE} <resource name> <id>'",
    adopt_user=_plugin_user_adoption,
    delete_user_first="set the resource option deleteBeforeReplace: true",
)


def frontend_of(resource_type: str) -> Frontend:
    """The front end that manages resources of this type."""
    return PLUGIN if resource_type == PLUGIN_TYPE else DYNAMIC
