"""How the plugin starts: the engine's address among the arguments the engine starts it with, and the
garbage collector it pauses while it imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from polytomic_provider.plugin.__main__ import engine_address


@pytest.mark.parametrize(
    ("arguments", "address"),
    [
        (["127.0.0.1:4100"], "127.0.0.1:4100"),
        (["--logtostderr", "-v=9", "127.0.0.1:4100"], "127.0.0.1:4100"),
        (["--tracing", "tcp://127.0.0.1:41141", "127.0.0.1:4100"], "127.0.0.1:4100"),  # not the tracer's
        ([], None),
        (["--logflow"], None),
    ],
)
def test_the_engine_address_is_the_last_argument(arguments: list[str], address: str | None) -> None:
    assert engine_address(arguments) == address


def test_startup_freezes_what_it_imported_and_leaves_the_collector_on() -> None:
    """The collector is off only while the plugin imports: left off, a long `up` would never free a cycle."""
    probe = (
        "import gc, sys\n"
        "from polytomic_provider.plugin.__main__ import main\n"
        "sys.argv = ['pulumi-resource-polytomic']  # no engine: main exits after its imports\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 1000)\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert ran.stdout.split() == ["True", "True"], ran.stdout + ran.stderr
