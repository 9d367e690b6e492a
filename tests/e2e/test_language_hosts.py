"""The language hosts, as users meet them: each language's smallest program through preview, up, a no-change
preview and destroy; a program that fails; `pulumi about` naming the host.

On a machine without an installed Pulumi CLI these run this project's own hosts (toolchain/), which
scripts/install-pulumi builds; with a user's CLI they run Pulumi's, and must behave the same.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.pulumi_harness import StackFactory, StackHarness

pytestmark = pytest.mark.e2e

SECRET = "s3cret-token-value-7f2c"
FAILURE = "the program was asked to fail (config fail=true)"


@dataclass
class Hello:
    """A stack of one language's hello program (tests/e2e/programs/hello-<word>)."""

    harness: StackHarness
    runtime: str  # as Pulumi.yaml names it, and the host: pulumi-language-<runtime>
    word: str  # how the program names its language in its message


HELLOS = [("python", "python"), ("nodejs", "typescript"), ("go", "go")]


@pytest.fixture(params=HELLOS, ids=[word for _, word in HELLOS])
def hello(request: pytest.FixtureRequest, make_stack: StackFactory) -> Hello:
    """A stack of the hello program of one language, configured with a plain and a secret value."""
    runtime, word = request.param
    harness = make_stack(f"hello-{word}", partner_key=None)
    if runtime == "nodejs":
        node_modules: Path = request.getfixturevalue("typescript_node_modules")
        (harness.work_dir / "node_modules").symlink_to(node_modules, target_is_directory=True)
    harness.set_config("name", auto.ConfigValue("world"))
    harness.set_secret("token", SECRET)  # both written by one CLI process, before the first command
    return Hello(harness, runtime, word)


def test_program_lifecycle(hello: Hello) -> None:
    stack = hello.harness
    preview = stack.preview()
    assert preview.change_summary.get("create") == 1  # the stack itself

    up = stack.up()
    assert up.summary.result == "succeeded"
    assert up.outputs["message"].value == f"hello world from {hello.word} on test"
    assert up.outputs["token"].value == SECRET
    assert up.outputs["token"].secret, "a secret config value stays secret in the outputs"

    stack.preview(expect_no_changes=True)

    destroy = stack.destroy()
    assert destroy.summary.result == "succeeded"
    assert stack.deployment().get("resources") in (None, [])
    assert SECRET not in "\n".join(stack.output)
    assert SECRET not in stack.exported_state()


def test_failing_program_shows_its_error_and_fails_the_command(hello: Hello) -> None:
    hello.harness.set_config("fail", auto.ConfigValue("true"))
    for command in (["preview"], ["up", "--yes"]):
        result = hello.harness.cli(*command, check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert FAILURE in output, output
        assert SECRET not in output
        # The error is the program's, not a crash of the host or the engine.
        assert "panic:" not in output and "goroutine " not in output, output


def test_about_names_the_host(hello: Hello) -> None:
    about = hello.harness.cli("about").stdout
    version = host_version(hello.harness.bin_dir, hello.runtime)
    pattern = rf"^language\s+{hello.runtime}\s+{re.escape(version)}\s*$"
    assert re.search(pattern, about, re.MULTILINE), about
    assert f"This project is written in {hello.runtime}" in about, about


def host_version(bin_dir: Path, language: str) -> str:
    """The version the host beside the CLI reports for itself (without the leading v)."""
    stamped = subprocess.run(
        [str(bin_dir / f"pulumi-language-{language}"), "-version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    assert re.fullmatch(r"v?\d+\.\d+\.\d+\S*", stamped), stamped
    return stamped.removeprefix("v")
