"""Benchmark program: the `count` organizations of bench/programs/organizations, served by the provider
plugin `pulumi-resource-polytomic` (the engine finds it on PATH). Imports only the Pulumi SDK."""

import pulumi

config = pulumi.Config()
prefix = config.require("prefix")
for i in range(config.require_int("count")):
    pulumi.CustomResource("polytomic:index:Organization", f"org-{i}", {"name": f"{prefix}-{i}"})
