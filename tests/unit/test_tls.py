"""The process's one TLS context (polytomic_provider/tls.py): built once, shared, and as httpx builds it."""

from __future__ import annotations

import importlib.util
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import certifi
import httpx
import pytest

from polytomic_provider import tls
from polytomic_provider.client import AsyncPolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import ConfigurationError


@pytest.fixture(autouse=True)
def fresh_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no context built, and leaves none behind."""
    monkeypatch.setattr(tls, "_building", None)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    yield


def test_every_caller_gets_the_same_verifying_context() -> None:
    first = tls.default_context()
    assert tls.default_context() is first
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.cert_store_stats()["x509_ca"] > 50  # certifi's bundle, not an empty store


def test_ssl_cert_file_names_the_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    one_ca = tmp_path / "one.pem"
    bundle = Path(certifi.where()).read_text()
    one_ca.write_text(bundle[: bundle.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")])
    monkeypatch.setenv("SSL_CERT_FILE", str(one_ca))
    assert tls.default_context().cert_store_stats()["x509_ca"] == 1


def test_a_failed_build_is_raised_to_its_caller_and_tried_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE names CA certificates that cannot be loaded"):
        tls.default_context()
    monkeypatch.delenv("SSL_CERT_FILE")
    assert tls.default_context().cert_store_stats()["x509_ca"] > 50


def settings_of(context: ssl.SSLContext) -> tuple[object, ...]:
    """What decides which servers a context trusts and how it talks to them."""
    return (
        context.verify_mode,
        context.check_hostname,
        context.options,
        context.minimum_version,
        context.maximum_version,
        context.verify_flags,
        context.cert_store_stats(),
        sorted(ca["serialNumber"] for ca in context.get_ca_certs()),
    )


@pytest.mark.parametrize("variable", [None, "SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_the_context_is_the_one_httpx_builds_by_default(
    variable: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The same trust and settings as `httpx.create_ssl_context()`, with and without the variables that
    name another bundle (an SSL_CERT_DIR's certificates are loaded on use, so both count none)."""
    if variable == "SSL_CERT_FILE":  # one CA only: a context that ignored the variable would hold many
        bundle = Path(certifi.where()).read_text()
        end = "-----END CERTIFICATE-----"
        (tmp_path / "bundle.pem").write_text(bundle[: bundle.index(end) + len(end)])
        monkeypatch.setenv(variable, str(tmp_path / "bundle.pem"))
    elif variable == "SSL_CERT_DIR":
        monkeypatch.setenv(variable, str(tmp_path))
    assert settings_of(tls.default_context()) == settings_of(httpx.create_ssl_context())


def test_a_plain_http_deployment_needs_no_ca_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An unreadable SSL_CERT_FILE stops nothing that does not use TLS (it raised FileNotFoundError)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    settings = Settings(partner_key=Secret("pk-0123456789"), deployment_url="http://127.0.0.1:9")
    client = AsyncPolytomicClient(settings)  # builds without reading the bundle
    assert client.settings.deployment_url == "http://127.0.0.1:9"
    secure = Settings(partner_key=Secret("pk-0123456789"), deployment_url="https://127.0.0.1:9")
    with pytest.raises(ConfigurationError, match="SSL_CERT_FILE"):
        AsyncPolytomicClient(secure)


def test_a_runtime_for_a_plain_http_deployment_never_loads_the_ca_bundle() -> None:
    """The CA bundle costs tens of milliseconds of CPU in every provider process; one serving an http://
    deployment (the emulator) does not start building it, one serving https:// does."""
    from polytomic_provider.runtime import ProviderRuntime

    runtime = ProviderRuntime()
    runtime.configure(Settings(partner_key=Secret("pk-0123456789"), deployment_url="http://127.0.0.1:9"))
    assert runtime.client().settings.deployment_url == "http://127.0.0.1:9"
    assert tls._building is None, "a plain-http client started loading the CA bundle"
    runtime.configure(Settings(partner_key=Secret("pk-0123456789"), deployment_url="https://127.0.0.1:9"))
    runtime.client()
    assert tls._building is not None


def test_point_7_ssl_cert_file_naming_a_fifo_is_refused_without_blocking(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """#27 F11: opening a FIFO blocks until a writer comes; the file is stat'ed first."""
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    monkeypatch.setenv("SSL_CERT_FILE", str(fifo))
    with pytest.raises(ConfigurationError, match=r"SSL_CERT_FILE.*not a regular file"):
        tls.start_building().result(timeout=5)


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_point_7_ssl_cert_dir_that_is_not_a_directory_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kind: str
) -> None:
    """#27 F11: OpenSSL ignores a capath that is not a directory; say so instead of trusting certifi."""
    location = tmp_path / "certs"
    if kind == "file":
        location.write_text("x")
    monkeypatch.setenv("SSL_CERT_DIR", str(location))
    with pytest.raises(ConfigurationError, match=r"SSL_CERT_DIR.*not a directory"):
        tls.default_context()


def test_point_7_ssl_cert_dir_may_list_several_directories(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Review #27 hardening finding 7: OpenSSL accepts directories joined by os.pathsep; each is checked."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", f"{one}{os.pathsep}{two}")
    assert isinstance(tls._build(), ssl.SSLContext)
    monkeypatch.setenv("SSL_CERT_DIR", f"{one}{os.pathsep}{tmp_path / 'missing'}")
    with pytest.raises(ConfigurationError, match=r"SSL_CERT_DIR.*missing.*not a directory"):
        tls._build()


PROXY_PASSWORD = "hunter2-proxy-password"


@pytest.mark.parametrize(
    "variable, value",
    [
        ("ALL_PROXY", f"socks5://user:{PROXY_PASSWORD}@127.0.0.1:1080"),  # socksio is not installed
        ("HTTPS_PROXY", f"ftp://user:{PROXY_PASSWORD}@127.0.0.1:21"),
        ("HTTP_PROXY", f"http://user:{PROXY_PASSWORD}@127.0.0.1:99999"),
        ("HTTPS_PROXY", ":::"),
    ],
)
def test_point_7_a_proxy_variable_httpx_cannot_use_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A SOCKS proxy without socksio raised a raw ImportError, an ftp:// proxy a ValueError, a port out of
    range an ExceptionGroup from the first request: each shown with a traceback. The proxy's URL, which may
    hold a password, is never shown."""
    if value.startswith("socks5") and importlib.util.find_spec("socksio") is not None:
        pytest.skip("socksio is installed: httpx can use a SOCKS proxy")
    for name in ("ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv(variable, value)
    settings = Settings(partner_key=Secret("pk-test-0123456789"), deployment_url="https://api.test")
    with pytest.raises(ConfigurationError) as raised:
        AsyncPolytomicClient(settings)
    message = str(raised.value)
    assert "proxy" in message and PROXY_PASSWORD not in message and value not in message
