"""The toolchain itself: the real CLI runs a Python program with a dynamic resource end to end."""

from __future__ import annotations

import subprocess

from pulumi import automation as auto

from tests.pulumi_harness import StackFactory


def test_noop_dynamic_resource_lifecycle(make_stack: StackFactory) -> None:
    harness = make_stack("noop")

    preview = harness.preview()
    assert preview.change_summary.get("create") == 2  # the stack and the resource

    up = harness.up()
    assert up.summary.result == "succeeded"
    assert up.outputs["value"].value == "one"

    harness.preview(expect_no_changes=True)

    harness.stack.set_config("value", auto.ConfigValue("two"))
    assert harness.preview().change_summary.get("update") == 1

    destroy = harness.destroy()
    assert destroy.summary.result == "succeeded"
    assert harness.stack.export_stack().deployment.get("resources") in (None, [])


def test_cli_version_and_about(make_stack: StackFactory) -> None:
    harness = make_stack("noop")
    version = subprocess.run(
        [str(harness.bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=True
    )
    major, minor = (int(part) for part in version.stdout.strip().lstrip("v").split(".")[:2])
    assert (major, minor) >= (3, 139), "dynamic providers receive stack config from 3.139 on"
    if (harness.bin_dir / "pulumi-language-python-host.py").exists():
        assert version.stdout.strip() == "v3.274.1", "the bootstrap builds exactly this version"
    about = harness.cli("about")
    assert "language  python" in about.stdout
    assert "This project is written in python" in about.stdout
