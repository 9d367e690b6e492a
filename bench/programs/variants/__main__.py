"""Benchmark program: `count` organizations declared with one of the provider variants of bench/variants
(config `variant`: light). Imports only the Pulumi SDK and the property names."""

import pulumi

from bench.variants import LightProvider, Organization

config = pulumi.Config()
prefix = config.require("prefix")
provider = {"light": LightProvider}[config.require("variant")]()
for i in range(config.require_int("count")):
    Organization(f"org-{i}", f"{prefix}-{i}", provider)
