"""The plugin's schema is written from the core: every field, setting and version as the core has them,
and schema.json is that schema (`make schema` rewrites it)."""

from __future__ import annotations

import json
from pathlib import Path

from polytomic_provider.config import SETTING_DOCS, SETTINGS
from polytomic_provider.fields import FIELDS, READABLE_FIELDS, SECRET_FIELDS
from polytomic_provider.frontend import PLUGIN_TYPE, camel_case
from polytomic_provider.plugin.schema import build_schema, schema_text
from polytomic_provider.version import __version__

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "polytomic_provider" / "plugin" / "schema.json"


def test_schema_json_is_the_schema_written_from_the_core() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), "schema.json is stale: run 'make schema'"


def test_the_schema_carries_the_package_version_and_the_metadata_a_package_page_shows() -> None:
    schema = build_schema()
    assert schema["version"] == __version__
    for key in ("displayName", "publisher", "keywords", "repository", "license", "description"):
        assert schema[key], key
    assert "pluginDownloadURL" not in schema, "left to the packager"


def test_every_field_of_the_core_is_a_property_and_only_those() -> None:
    organization = build_schema()["resources"][PLUGIN_TYPE]
    for section in ("properties", "inputProperties"):
        properties = organization[section]
        assert list(properties) == [camel_case(field) for field in FIELDS]
        secret = {name for name, spec in properties.items() if spec.get("secret")}
        assert secret == {camel_case(field) for field in SECRET_FIELDS}
        assert all(spec["description"] for spec in properties.values())
    result = build_schema()["types"]["polytomic:index:OrganizationResult"]["properties"]
    assert list(result) == ["id", *(camel_case(field) for field in READABLE_FIELDS)]


def test_every_setting_of_the_core_is_a_config_variable_and_a_provider_input() -> None:
    schema = build_schema()
    for section in (schema["config"]["variables"], schema["provider"]["inputProperties"]):
        assert tuple(section) == SETTINGS
        for doc in SETTING_DOCS:
            assert section[doc.key]["type"] == doc.type
            assert bool(section[doc.key].get("secret")) == doc.secret
            assert all(variable in section[doc.key]["description"] for variable in doc.env)


def test_the_schema_is_valid_json_with_no_dangling_reference() -> None:
    text = schema_text()
    schema = json.loads(text)
    for reference in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert reference.removeprefix("#/types/") in schema["types"], reference
