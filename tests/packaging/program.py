"""Test program for the installed wheel: a plain and an OIDC organization, and where the provider is."""

import pulumi

import polytomic_provider.provider
from polytomic_provider import Organization, OrganizationArgs

config = pulumi.Config()
plain = Organization("plain", OrganizationArgs(name="Wheel Plain", sso_domain="plain.wheel.example.com"))
oidc = Organization(
    "oidc",
    OrganizationArgs(
        name="Wheel OIDC",
        issuer="https://login.wheel.example.com",
        client_id="wheel-client",
        client_secret=config.require_secret("clientSecret"),
    ),
)
pulumi.export("plain_id", plain.id)
pulumi.export("oidc_id", oidc.id)
pulumi.export("provider_module", polytomic_provider.provider.__file__)
