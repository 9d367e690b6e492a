"""Benchmark program: `count` no-op dynamic resources, the engine's floor (provider pickled by reference)."""

import pulumi

from tests.e2e.noop import NoopResource

config = pulumi.Config()
prefix = config.require("prefix")
for i in range(config.require_int("count")):
    NoopResource(f"noop-{i}", {"value": f"{prefix}-{i}"})
