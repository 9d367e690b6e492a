"""Test program: declares the organizations listed in the stack config `organizations` (a JSON list).

Each item holds OrganizationArgs fields plus `resource` (the Pulumi name) and optionally `retain` and
`protect`. A client secret comes from the secret config key `clientSecret-<resource>`.
"""

import pulumi

from polytomic_provider import Organization, OrganizationArgs

config = pulumi.Config()
for item in config.get_object("organizations") or []:
    spec = dict(item)
    resource = spec.pop("resource")
    retain = bool(spec.pop("retain", False))
    secret = config.get_secret(f"clientSecret-{resource}")
    if secret is not None:
        spec["client_secret"] = secret
    organization = Organization(
        resource, OrganizationArgs(**spec), opts=pulumi.ResourceOptions(retain_on_delete=retain)
    )
    pulumi.export(f"{resource}_id", organization.id)
    pulumi.export(f"{resource}_name", organization.name)
