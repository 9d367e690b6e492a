"""Test program: the organizations of tests/e2e/programs/organizations, served by the provider plugin.

The same stack config (`organizations`, a JSON list of OrganizationArgs fields plus `resource` and
resource options; `clientSecret-<resource>` secrets) declares `polytomic:index:Organization` resources
through Pulumi's generic CustomResource, so one test can run against either front end.
"""

import pulumi

from polytomic_provider.frontend import camel_case

OUTPUTS = ["name", "clientId", "clientSecret", "issuer", "ssoDomain", "ssoOrgId"]

config = pulumi.Config()
for item in config.get_object("organizations") or []:
    spec = dict(item)
    resource = spec.pop("resource")
    options = pulumi.ResourceOptions(
        retain_on_delete=bool(spec.pop("retain", False)),
        replace_on_changes=spec.pop("replace_on_changes", None),
        ignore_changes=spec.pop("ignore_changes", None),
        delete_before_replace=spec.pop("delete_before_replace", None),
        additional_secret_outputs=["clientSecret"],
    )
    props = {camel_case(key): value for key, value in spec.items()}
    secret = config.get_secret(f"clientSecret-{resource}")
    if secret is not None:
        props["clientSecret"] = secret
    organization = pulumi.CustomResource(
        "polytomic:index:Organization", resource, {**dict.fromkeys(OUTPUTS), **props}, opts=options
    )
    pulumi.export(f"{resource}_id", organization.id)
    pulumi.export(f"{resource}_name", organization.name)  # type: ignore[attr-defined]
