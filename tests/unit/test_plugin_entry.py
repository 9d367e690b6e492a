"""How the plugin finds the engine's address among the arguments the engine starts it with."""

from __future__ import annotations

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
