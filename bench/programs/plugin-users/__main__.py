"""Benchmark program: the users of bench/programs/users, served by the provider plugin
`pulumi-resource-polytomic` (the engine finds it on PATH). Imports only the Pulumi SDK."""

import pulumi

config = pulumi.Config()
prefix = config.require("prefix")
orgs = [
    pulumi.CustomResource("polytomic:index:Organization", f"org-{j}", {"name": f"{prefix}-{j}"})
    for j in range(config.require_int("orgs"))
]
for i in range(config.require_int("count")):
    props = {"organizationId": orgs[i % len(orgs)].id, "email": f"{prefix}-{i}@example.com"}
    pulumi.CustomResource("polytomic:index:User", f"user-{i}", props)
