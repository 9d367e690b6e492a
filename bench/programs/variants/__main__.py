"""Benchmark program: `count` organizations declared with one of the provider variants of bench/variants
(config `variant`: light or light-no-readback). Imports only the Pulumi SDK."""

import pulumi

from bench.variants import LightNoReadbackProvider, LightProvider, Organization

config = pulumi.Config()
prefix = config.require("prefix")
provider = {"light": LightProvider, "light-no-readback": LightNoReadbackProvider}[config.require("variant")]()
for i in range(config.require_int("count")):
    Organization(f"org-{i}", f"{prefix}-{i}", provider)
