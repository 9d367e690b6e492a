"""`polytomic-pulumi generate` refuses bad settings with one clean line, before any request is made."""

from __future__ import annotations

import pytest

from polytomic_provider.cli import main

KEY = "pk-test-cli-4f2a9c1e7b3d"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POLYTOMIC_PARTNER_KEY", "POLYTOMIC_API_KEY", "POLYTOMIC_DEPLOYMENT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", KEY)
    # A closed loopback port: if any request were made, it would fail there, not reach anyone.
    monkeypatch.setenv("POLYTOMIC_MAX_ATTEMPTS", "1")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["generate", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://admin:hunter2-pw@127.0.0.1:9", "user name or password"),
        ("http://127.0.0.1:9/?token=hunter2-pw", "query"),
        ("javascript:alert('hunter2-pw')", "http:// or https://"),
        ("https://[::1", "not a valid URL"),
    ],
)
def test_a_bad_deployment_url_flag_is_named_and_not_echoed(
    capsys: pytest.CaptureFixture[str], url: str, says: str
) -> None:
    code, output = run(capsys, "--deployment-url", url)
    assert code == 1
    assert output.startswith("polytomic-pulumi: error: --deployment-url") and says in output
    assert "hunter2" not in output and output.count("\n") == 1


def test_a_bad_deployment_url_from_the_environment_is_named_and_not_echoed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYTOMIC_DEPLOYMENT_URL", "https://admin:hunter2-pw@127.0.0.1:9")
    code, output = run(capsys)
    assert code == 1 and "POLYTOMIC_DEPLOYMENT_URL" in output and "user name or password" in output
    assert "hunter2" not in output


def test_a_key_with_a_line_break_is_refused_without_a_request_or_an_echo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYTOMIC_PARTNER_KEY", f"{KEY}\nX")
    code, output = run(capsys, "--deployment-url", "http://127.0.0.1:9")
    assert code == 1 and "POLYTOMIC_PARTNER_KEY" in output and "copy the key again" in output
    assert "4f2a9c1e" not in output
    assert "attempt" not in output  # refused before the first request, not after five retries
