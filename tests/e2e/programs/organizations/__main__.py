"""Test program: declares the organizations listed in the stack config `organizations` (a JSON list).

Each item holds OrganizationArgs fields plus `resource` (the Pulumi name) and optionally the resource
options `retain`, `replace_on_changes`, `ignore_changes` and `delete_before_replace`. A client secret
comes from the secret config key `clientSecret-<resource>`.
"""

import pulumi

from polytomic_provider import Organization, OrganizationArgs

config = pulumi.Config()
for item in config.get_object("organizations") or []:
    spec = dict(item)
    resource = spec.pop("resource")
    options = pulumi.ResourceOptions(
        retain_on_delete=bool(spec.pop("retain", False)),
        replace_on_changes=spec.pop("replace_on_changes", None),
        ignore_changes=spec.pop("ignore_changes", None),
        delete_before_replace=spec.pop("delete_before_replace", None),
    )
    secret = config.get_secret(f"clientSecret-{resource}")
    if secret is not None:
        spec["client_secret"] = secret
    organization = Organization(resource, OrganizationArgs(**spec), opts=options)
    pulumi.export(f"{resource}_id", organization.id)
    pulumi.export(f"{resource}_name", organization.name)
