"""Benchmark program: `count` no-op dynamic resources, the engine's floor (provider pickled by reference);
`extra` more (optional) stand for the organizations of the users rows."""

import pulumi

from tests.e2e.noop import NoopResource

config = pulumi.Config()
prefix = config.require("prefix")
for i in range(config.require_int("count") + (config.get_int("extra") or 0)):
    NoopResource(f"noop-{i}", {"value": f"{prefix}-{i}"})
