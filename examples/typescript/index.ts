// Two Polytomic organizations, one plain and one signing in through OIDC (onboarded with its first admin
// user), and the partner's own.
import * as pulumi from "@pulumi/pulumi";
import * as polytomic from "@polytomic/pulumi";

const config = new pulumi.Config();
const prefix = config.get("namePrefix") ?? "Demo TypeScript";

const analytics = new polytomic.Organization("analytics", {
    name: `${prefix} Analytics`,
    ssoDomain: "analytics.example.com",
});

const acme = new polytomic.Organization("acme", {
    name: `${prefix} Acme`,
    ssoDomain: "acme.example.com",
    issuer: "https://login.acme.example.com",
    clientId: config.require("acmeClientId"),
    clientSecret: config.requireSecret("acmeClientSecret"),
});

const acmeAdmin = new polytomic.User("acmeAdmin", {
    organizationId: acme.id,
    email: config.get("acmeAdminEmail") ?? "admin@acme.example.com",
    role: "Admin", // the default; the user is sent an invitation
});

const owner = polytomic.getCurrentOrganizationOutput();

export const analyticsId = analytics.id;
export const acmeId = acme.id;
export const acmeClientSecret = acme.clientSecret; // shown as [secret]
export const acmeAdminId = acmeAdmin.id;
export const partnerOrganization = owner.name;
