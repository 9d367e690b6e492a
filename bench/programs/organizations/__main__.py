"""Benchmark program: `count` organizations named `<prefix>-<i>` (stack config of this project)."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs

config = pulumi.Config()
prefix = config.require("prefix")
for i in range(config.require_int("count")):
    Organization(f"org-{i}", OrganizationArgs(name=f"{prefix}-{i}"))
