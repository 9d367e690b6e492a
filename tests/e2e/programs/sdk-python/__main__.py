"""Test program: one organization through the typed SDK that `pulumi package add` generated."""

import pulumi
import pulumi_polytomic as polytomic

organization = polytomic.Organization("typed", name="Typed SDK Org")
pulumi.export("id", organization.id)
pulumi.export("name", organization.name)
