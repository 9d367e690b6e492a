"""The toolchain itself: the real CLI with its language hosts (an installed CLI's, or this project's own
from toolchain/ beside a CLI built from Go modules) runs Python and YAML programs end to end
(TypeScript and Go: test_language_hosts.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pulumi import automation as auto

from tests.pulumi_harness import StackFactory, StackHarness

# Every Go binary carries its build information behind this marker (Go's debug/buildinfo format).
GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"


def test_noop_dynamic_resource_lifecycle(make_stack: StackFactory) -> None:
    harness = make_stack("noop")

    preview = harness.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the resource

    up = harness.up()
    assert up.summary.result == "succeeded"
    assert up.outputs["value"].value == "one"

    harness.preview(expect_no_changes=True)

    harness.set_config("value", auto.ConfigValue("two"))
    assert harness.preview().change_summary.get("update") == 1

    destroy = harness.destroy()
    assert destroy.summary.result == "succeeded"
    assert harness.deployment().get("resources") in (None, [])


def stamped_host_version(bin_dir: Path, language: str) -> str:
    """The version the language host next to the CLI was built with, checking it is Pulumi's Go program."""
    host = bin_dir / f"pulumi-language-{language}"
    assert GO_BUILDINFO_MAGIC in host.read_bytes(), f"{host} is not a Go binary: not a language host"
    if language == "yaml":  # the YAML host has no -version flag; `pulumi about` shows what it reports
        return ""
    stamped = subprocess.run(
        [str(host), "-version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    assert re.fullmatch(r"v?\d+\.\d+\.\d+\S*", stamped), f"{host} has no version stamped in: {stamped!r}"
    return stamped.removeprefix("v")


def assert_about_names_host(harness: StackHarness, language: str) -> str:
    """`pulumi about` names the host next to the CLI, with the version it reports; returns the output."""
    version = stamped_host_version(harness.bin_dir, language) or r"\d+\.\d+\.\d+\S*"
    about = harness.cli("about").stdout
    assert re.search(rf"^language\s+{language}\s+{version}\s*$", about, re.MULTILINE), about
    return about


def test_cli_version_and_about(make_stack: StackFactory) -> None:
    harness = make_stack("noop")
    version = subprocess.run(
        [str(harness.bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=True
    )
    major, minor = (int(part) for part in version.stdout.strip().lstrip("v").split(".")[:2])
    assert (major, minor) >= (3, 139), "dynamic providers receive stack config from 3.139 on"

    about = assert_about_names_host(harness, "python")
    # The host runs the program with the virtualenv that Pulumi.yaml names (runtime.options.virtualenv).
    assert f"This project is written in python: executable='{Path(sys.prefix) / 'bin' / 'python'}'" in about


def assert_plain_lifecycle(harness: StackHarness, message: str) -> None:
    """`up`, a no-change `preview` and `destroy` of a program whose only output is `message`."""
    up = harness.up()
    assert up.summary.result == "succeeded"
    assert up.outputs["message"].value == message
    harness.preview(expect_no_changes=True)
    destroy = harness.destroy()
    assert destroy.summary.result == "succeeded"
    assert harness.deployment().get("resources") in (None, [])


def test_yaml_program_lifecycle(make_stack: StackFactory) -> None:
    harness = make_stack("yaml", partner_key=None)
    assert_about_names_host(harness, "yaml")
    assert_plain_lifecycle(harness, "hello from yaml on test")
