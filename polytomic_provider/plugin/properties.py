"""PropertyValues to the core's property dicts and back.

The engine sends and receives `PropertyValue`s keyed by the schema's camelCase names, each carrying its
secretness and whether it is known yet. The core works on plain values keyed by `fields.FIELDS`. Going in,
secrets are unwrapped (the core scrubs what it sends) and values not known yet become `UNKNOWN`; coming
out, every field that is a secret by nature (`client_secret`) or arrived as one is marked secret again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue, PropertyValueType

from ..fields import FIELDS, SECRET_FIELDS
from ..frontend import camel_case, snake_case

__all__ = ["UNKNOWN", "engine_value", "from_engine", "is_unknown", "secret_keys", "snake_case", "to_engine"]


class _Unknown:
    """A value the engine does not know yet (a preview of a program whose input depends on another)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


# How the engine spells an unknown to a provider that does not accept output values (this one): a plain
# string, which PropertyValue.unmarshal leaves a string (pulumi.runtime.rpc.UNKNOWN).
_UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _contains_computed(value: PropertyValue) -> bool:
    inner: Any = value.value
    if value.type == PropertyValueType.COMPUTED:
        return True
    if value.type == PropertyValueType.STRING and inner == _UNKNOWN_STRING:
        return True
    if value.type == PropertyValueType.ARRAY:
        return any(_contains_computed(item) for item in inner)
    if value.type == PropertyValueType.MAP:
        return any(_contains_computed(item) for item in inner.values())
    return False


def _plain(value: PropertyValue) -> Any:
    """The Python value inside, secrets unwrapped (lists and maps too, for the type check's message)."""
    inner: Any = value.value
    if _contains_computed(value):
        return UNKNOWN
    if value.type == PropertyValueType.ARRAY:
        return [_plain(item) for item in inner]
    if value.type == PropertyValueType.MAP:
        return {key: _plain(item) for key, item in inner.items()}
    return inner


def _core_name(key: str, fields: tuple[str, ...]) -> str:
    """A schema property as the core spells it: `fields` are the resource's (the Organization's unless
    told), so a User's `organizationId` becomes `organization_id` and an Organization's stays foreign."""
    return next((field for field in fields if camel_case(field) == key), key)


def from_engine(values: Mapping[str, PropertyValue], fields: tuple[str, ...] = FIELDS) -> dict[str, Any]:
    """The engine's properties as the core's dict: snake_case keys, plain values, `UNKNOWN` where unknown."""
    return {_core_name(key, fields): _plain(value) for key, value in values.items()}


def secret_keys(values: Mapping[str, PropertyValue], fields: tuple[str, ...] = FIELDS) -> set[str]:
    """The core's names of the properties that arrived as secrets."""
    return {_core_name(key, fields) for key, value in values.items() if value.contains_secret()}


def engine_value(value: Any) -> PropertyValue:
    """A plain value (strings, numbers, lists, maps) as a PropertyValue."""
    if isinstance(value, Mapping):
        return PropertyValue({key: engine_value(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([engine_value(item) for item in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def to_engine(
    values: Mapping[str, Any],
    *,
    secrets: Iterable[str] = (),
    originals: Mapping[str, PropertyValue] | None = None,
    fields: tuple[str, ...] = FIELDS,
) -> dict[str, PropertyValue]:
    """The core's dict as the engine's properties: camelCase keys, each secret field marked secret.

    A value the engine sent and the core returned unchanged is handed back as it came (`originals`), so
    its secretness, unknownness and dependencies survive `check`; a secret field is marked secret always.
    """
    secret = set(SECRET_FIELDS) | set(secrets)
    by_core_name = {_core_name(key, fields): (key, value) for key, value in (originals or {}).items()}
    converted: dict[str, PropertyValue] = {}
    for key, value in values.items():
        original = by_core_name.get(key)
        if original is not None and (value is UNKNOWN or _plain(original[1]) == value):
            kept = original[1]
            # A secret by nature stays one even when the program sent it plain (no SDK but YAML's marks
            # it from the schema), so the engine never stores or shows it in clear text.
            converted[original[0]] = kept.with_secret(True) if key in SECRET_FIELDS else kept
            continue
        if value is None and key in fields:
            continue  # an unset field is left out, as a program leaves it out
        converted[camel_case(key) if key in fields else key] = engine_value(value).with_secret(key in secret)
    return converted
