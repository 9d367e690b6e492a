"""Test program: reads existing organizations without managing them, and adopts one through `import_`.

Stack config: `lookupId` (an organization the lookups and `Organization.get` read), `getId` (defaults to
`lookupId`), and optionally `importId` with `importName` / `importDomain` (an organization to adopt with
`ResourceOptions(import_=...)`, declared with exactly these values).
"""

import pulumi

from polytomic_provider import (
    Organization,
    OrganizationArgs,
    get_current_organization,
    get_organization,
    get_organization_output,
    get_organizations,
)

config = pulumi.Config()
lookup_id = config.require("lookupId")

by_id = get_organization(id=lookup_id)
by_name = get_organization(name=by_id.name)
reference = Organization.get("reference", config.get("getId") or lookup_id)
by_output = get_organization_output(id=reference.id)

pulumi.export("by_id", {"name": by_id.name, "sso_domain": by_id.sso_domain, "sso_org_id": by_id.sso_org_id})
pulumi.export("by_name_id", by_name.id)
pulumi.export("all_names", [o.name for o in get_organizations()])
pulumi.export("current_id", get_current_organization().id)
pulumi.export("reference", {"name": reference.name, "sso_domain": reference.sso_domain})
pulumi.export("by_output_name", by_output.apply(lambda o: o.name))

import_id = config.get("importId")
if import_id is not None:
    imported = Organization(
        "imported",
        OrganizationArgs(name=config.require("importName"), sso_domain=config.get("importDomain")),
        opts=pulumi.ResourceOptions(import_=import_id),
    )
    pulumi.export("imported_id", imported.id)
