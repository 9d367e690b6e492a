"""The Pulumi program of the golden stacks: a plain, an OIDC and an adopted organization.

`make_golden.py` copies this file into each golden folder as it writes the stack, and the golden test runs
that copy: a user's program stays the same across an upgrade of the package, so each stack keeps its own.
Only the public API is used. `domainSuffix` is what the test changes to make an update.
"""

import pulumi

from polytomic_provider import Organization, OrganizationArgs

config = pulumi.Config()
suffix = config.get("domainSuffix") or "golden.example.com"

plain = Organization("plain", OrganizationArgs(name="Golden Plain", sso_domain=f"plain.{suffix}"))

oidc = Organization(
    "oidc",
    OrganizationArgs(
        name="Golden OIDC",
        sso_domain=f"oidc.{suffix}",
        issuer="https://login.golden.example.com",
        client_id=config.require("oidcClientId"),
        client_secret=config.require_secret("oidcClientSecret"),
    ),
)

adopted = Organization(
    "adopted",
    OrganizationArgs(
        name="Golden Adopted", sso_domain=f"adopted.{suffix}", adopt_id=config.require("adoptedId")
    ),
)

for resource_name, organization in (("plain", plain), ("oidc", oidc), ("adopted", adopted)):
    pulumi.export(f"{resource_name}_id", organization.id)
    pulumi.export(f"{resource_name}_sso_domain", organization.sso_domain)
