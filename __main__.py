"""Example program: two Polytomic organizations, one plain and one signing in through OIDC, the latter
onboarded with its first admin user (who gets an invitation).

Stack config (`make demo` sets all of it against the local emulator):

    pulumi config set --secret polytomic:partnerKey <partner key>     # or POLYTOMIC_PARTNER_KEY
    pulumi config set polytomic:deploymentUrl https://app.polytomic.com
    pulumi config set acmeClientId <client id>
    pulumi config set --secret acmeClientSecret <client secret>
    pulumi config set namePrefix "Demo"                               # optional
    pulumi config set acmeAdminEmail admin@acme.example.com           # optional
"""

import pulumi

from polytomic_provider import Organization, OrganizationArgs, User, UserArgs

config = pulumi.Config()
prefix = config.get("namePrefix") or "Demo"

analytics = Organization(
    "analytics",
    OrganizationArgs(
        name=f"{prefix} Analytics",
        sso_domain=config.get("analyticsDomain") or "analytics.example.com",
    ),
)

acme = Organization(
    "acme",
    OrganizationArgs(
        name=f"{prefix} Acme",
        sso_domain=config.get("acmeDomain") or "acme.example.com",
        issuer=config.get("acmeIssuer") or "https://login.acme.example.com",
        client_id=config.require("acmeClientId"),
        client_secret=config.require_secret("acmeClientSecret"),
    ),
)

# The organization's first admin user: role "Admin" (the default, said here for the reader).
acme_admin = User(
    "acme-admin",
    UserArgs(
        organization_id=acme.id,
        email=config.get("acmeAdminEmail") or "admin@acme.example.com",
        role="Admin",
    ),
)

pulumi.export("analytics_id", analytics.id)
pulumi.export("analytics_name", analytics.name)
pulumi.export("acme_id", acme.id)
pulumi.export("acme_name", acme.name)
pulumi.export("acme_client_secret", acme.client_secret)  # shown as [secret]
pulumi.export("acme_admin_id", acme_admin.id)
