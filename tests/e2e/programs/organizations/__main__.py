"""Test program: the organizations listed in the stack config `organizations` (tests/e2e/declared.py)."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs
from tests.e2e.declared import declared_organizations

for item in declared_organizations(pulumi.Config()):
    spec = dict(item.fields)
    if item.client_secret is not None:
        spec["client_secret"] = item.client_secret
    organization = Organization(item.resource, OrganizationArgs(**spec), opts=item.options)
    pulumi.export(f"{item.resource}_id", organization.id)
    pulumi.export(f"{item.resource}_name", organization.name)
