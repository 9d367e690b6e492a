"""The provider's process-wide state: settings and their client always belong to the same configuration."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import polytomic_provider.client as client_module
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import ConfigurationError
from polytomic_provider.runtime import ProviderRuntime

ACCOUNT_A = Settings(partner_key=Secret("pk-test-account-a"), deployment_url="https://a.example.com")
ACCOUNT_B = Settings(partner_key=Secret("pk-test-account-b"), deployment_url="https://b.example.com")


def test_a_configure_during_the_first_client_build_leaves_a_matching_pair(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first client() is still building for account A when configure() switches to account B."""
    building, release = threading.Event(), threading.Event()
    real_client = client_module.AsyncPolytomicClient

    class SlowFirstClient(real_client):  # type: ignore[misc, valid-type]
        def __init__(self, settings: Settings, **kwargs: Any) -> None:
            if settings is ACCOUNT_A:
                building.set()
                release.wait(5)
            super().__init__(settings, **kwargs)

    monkeypatch.setattr(client_module, "AsyncPolytomicClient", SlowFirstClient)
    runtime = ProviderRuntime()
    runtime.configure(ACCOUNT_A)
    first_call = threading.Thread(target=runtime.client)
    first_call.start()
    assert building.wait(5)
    runtime.configure(ACCOUNT_B)
    release.set()
    first_call.join(5)
    assert runtime.settings is ACCOUNT_B
    assert runtime.client().settings is ACCOUNT_B


def test_configure_does_not_close_a_client_another_call_is_using() -> None:
    runtime = ProviderRuntime()
    runtime.configure(ACCOUNT_A)
    in_use = runtime.client()
    runtime.configure(ACCOUNT_B)
    assert not in_use._http.is_closed  # the call holding it can finish
    assert runtime.client() is not in_use and runtime.client().settings is ACCOUNT_B


def test_the_same_settings_keep_the_same_client() -> None:
    runtime = ProviderRuntime()
    runtime.configure(ACCOUNT_A)
    client = runtime.client()
    runtime.configure(
        Settings(partner_key=Secret("pk-test-account-a"), deployment_url="https://a.example.com")
    )
    assert runtime.client() is client


def test_concurrent_first_calls_share_one_client() -> None:
    runtime = ProviderRuntime()
    runtime.configure(ACCOUNT_A)
    clients: list[object] = []
    threads = [threading.Thread(target=lambda: clients.append(runtime.client())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(clients) == 4 and len({id(c) for c in clients}) == 1


def test_bad_configuration_is_kept_as_problems_not_raised() -> None:
    runtime = ProviderRuntime()
    config = {"deploymentUrl": "https://user:pw-hunter2@example.com", "maxAttempts": "inf"}
    runtime.configure_from(config.get)
    assert [p.property for p in runtime.problems()] == ["polytomic:deploymentUrl", "polytomic:maxAttempts"]
    with pytest.raises(ConfigurationError, match="polytomic:deploymentUrl") as failure:
        runtime.client()
    assert "hunter2" not in str(failure.value)


def test_a_missing_key_is_a_problem_to_report() -> None:
    runtime = ProviderRuntime()
    runtime.configure(Settings(partner_key=None))
    [problem] = runtime.problems()
    assert problem.property == "polytomic:partnerKey" and "pulumi config set --secret" in problem.reason


def test_unloadable_ca_certificates_are_a_problem_check_reports_before_any_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SSL_CERT_FILE naming a missing file: one line naming the variable, not a FileNotFoundError."""
    from polytomic_provider import tls
    from polytomic_provider.provider import OrganizationProvider
    from polytomic_provider.runtime import RUNTIME

    monkeypatch.setattr(tls, "_building", None)  # the process's context is built again, from this env
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    RUNTIME.new_operation()
    RUNTIME.configure(Settings(partner_key=Secret("pk-0123456789"), deployment_url="https://127.0.0.1:9"))
    try:
        (problem,) = OrganizationProvider().check({}, {"name": "Acme"}).failures
        assert "SSL_CERT_FILE" in problem.reason and "missing.pem" in problem.reason
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.setattr(tls, "_building", None)
        assert RUNTIME.problems() == []
        assert RUNTIME.client().settings.deployment_url == "https://127.0.0.1:9"
    finally:
        RUNTIME.configure(Settings(partner_key=None))
