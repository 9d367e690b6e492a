"""Settings resolution: stack config, then environment, then defaults; bad values name their setting."""

from __future__ import annotations

import pytest

from polytomic_provider.config import (
    DEFAULT_API_VERSION,
    DEFAULT_DEPLOYMENT_URL,
    Secret,
    normalize_url,
    resolve_settings,
)
from polytomic_provider.errors import ConfigurationError


def lookup_from(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda key: values.get(key)


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = resolve_settings(lookup_from({}), env={})
    assert settings.partner_key is None
    assert settings.deployment_url == DEFAULT_DEPLOYMENT_URL
    assert settings.api_version == DEFAULT_API_VERSION


def test_stack_config_wins_over_the_environment() -> None:
    env = {"POLYTOMIC_PARTNER_KEY": "from-env", "POLYTOMIC_DEPLOYMENT_URL": "env.example.com"}
    settings = resolve_settings(
        lookup_from({"partnerKey": "from-config", "deploymentUrl": "cfg.example.com"}), env
    )
    assert settings.partner_key == Secret("from-config")
    assert settings.deployment_url == "https://cfg.example.com"


def test_environment_fills_in_and_the_api_key_is_a_fallback() -> None:
    assert resolve_settings(lookup_from({}), {"POLYTOMIC_API_KEY": "k"}).partner_key == Secret("k")
    both = {"POLYTOMIC_API_KEY": "api", "POLYTOMIC_PARTNER_KEY": "partner"}
    assert resolve_settings(lookup_from({}), both).partner_key == Secret("partner")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("app.polytomic.com", "https://app.polytomic.com"),
        ("https://app.polytomic.com/", "https://app.polytomic.com"),
        ("http://127.0.0.1:8765//", "http://127.0.0.1:8765"),
        ("  https://polytomic.example.com/base  ", "https://polytomic.example.com/base"),
    ],
)
def test_urls_are_normalised(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"deploymentUrl": "ftp://x.example.com"}, "polytomic:deploymentUrl"),
        ({"apiVersion": "latest"}, "polytomic:apiVersion"),
        ({"requestTimeout": "soon"}, "polytomic:requestTimeout"),
        ({"maxAttempts": "0"}, "polytomic:maxAttempts"),
        ({"retryBudget": "-1"}, "polytomic:retryBudget"),
    ],
)
def test_bad_values_name_the_setting(values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        resolve_settings(lookup_from(values), env={})


def test_a_missing_key_says_where_to_set_it() -> None:
    with pytest.raises(ConfigurationError) as failure:
        resolve_settings(lookup_from({}), env={}).require_key()
    assert "pulumi config set --secret polytomic:partnerKey" in str(failure.value)
    assert "POLYTOMIC_PARTNER_KEY" in str(failure.value)


def test_secret_hides_its_value() -> None:
    secret = Secret("s3cr3t-value")
    assert "s3cr3t-value" not in repr(secret) + str(secret) + f"{secret}"
    assert secret.reveal() == "s3cr3t-value"
