"""Benchmark program: `count` users spread over `orgs` organizations (stack config of this project), the
first admin users a partner onboards; the users' emails are `<prefix>-<i>@example.com`."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs, User, UserArgs

config = pulumi.Config()
prefix = config.require("prefix")
orgs = [
    Organization(f"org-{j}", OrganizationArgs(name=f"{prefix}-{j}"))
    for j in range(config.require_int("orgs"))
]
for i in range(config.require_int("count")):
    User(f"user-{i}", UserArgs(organization_id=orgs[i % len(orgs)].id, email=f"{prefix}-{i}@example.com"))
