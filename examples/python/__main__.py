"""Two Polytomic organizations, one plain and one signing in through OIDC (onboarded with its first admin
user), and the partner's own."""

import pulumi
import pulumi_polytomic as polytomic

config = pulumi.Config()
prefix = config.get("namePrefix") or "Demo Python"

analytics = polytomic.Organization(
    "analytics", name=f"{prefix} Analytics", sso_domain="analytics.example.com"
)
acme = polytomic.Organization(
    "acme",
    name=f"{prefix} Acme",
    sso_domain="acme.example.com",
    issuer="https://login.acme.example.com",
    client_id=config.require("acmeClientId"),
    client_secret=config.require_secret("acmeClientSecret"),
)
acme_admin = polytomic.User(
    "acmeAdmin",
    organization_id=acme.id,
    email=config.get("acmeAdminEmail") or "admin@acme.example.com",
    role="Admin",  # the default; the user is sent an invitation
)
owner = polytomic.get_current_organization_output()

pulumi.export("analyticsId", analytics.id)
pulumi.export("acmeId", acme.id)
pulumi.export("acmeClientSecret", acme.client_secret)  # shown as [secret]
pulumi.export("acmeAdminId", acme_admin.id)
pulumi.export("partnerOrganization", owner.name)
