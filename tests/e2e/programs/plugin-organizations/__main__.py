"""Test program: the organizations of tests/e2e/programs/organizations, served by the provider plugin.

The same stack config (tests/e2e/declared.py) declares `polytomic:index:Organization` resources through
Pulumi's generic CustomResource, so one test can run against either front end.
"""

import pulumi

from polytomic_provider.frontend import camel_case
from tests.e2e.declared import declared_organizations

OUTPUTS = ["name", "clientId", "clientSecret", "issuer", "ssoDomain", "ssoOrgId"]

for item in declared_organizations(pulumi.Config()):
    props = {camel_case(key): value for key, value in item.fields.items()}
    if item.client_secret is not None:
        props["clientSecret"] = item.client_secret
    options = pulumi.ResourceOptions.merge(
        item.options, pulumi.ResourceOptions(additional_secret_outputs=["clientSecret"])
    )
    # Options name properties as the schema spells them.
    options.replace_on_changes = [camel_case(key) for key in options.replace_on_changes or []] or None
    options.ignore_changes = [camel_case(key) for key in options.ignore_changes or []] or None
    organization = pulumi.CustomResource(
        "polytomic:index:Organization", item.resource, {**dict.fromkeys(OUTPUTS), **props}, opts=options
    )
    pulumi.export(f"{item.resource}_id", organization.id)
    pulumi.export(f"{item.resource}_name", organization.name)  # type: ignore[attr-defined]
