// Test program: the organizations of ../plugin-yaml, declared by type token through the provider plugin.
import * as pulumi from "@pulumi/pulumi";

interface OrganizationArgs {
    name: pulumi.Input<string>;
    clientId?: pulumi.Input<string>;
    clientSecret?: pulumi.Input<string>;
    issuer?: pulumi.Input<string>;
    ssoDomain?: pulumi.Input<string>;
    ssoOrgId?: pulumi.Input<string>;
}

class Organization extends pulumi.CustomResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly ssoDomain: pulumi.Output<string | undefined>;

    constructor(name: string, args: OrganizationArgs, opts?: pulumi.CustomResourceOptions) {
        super("polytomic:index:Organization", name, { ...args }, opts);
    }
}

const config = new pulumi.Config();

const plain = new Organization("plain", { name: "Plain Org", ssoDomain: "plain.example.com" });
const oidc = new Organization("oidc", {
    name: "OIDC Org",
    ssoDomain: config.require("ssoDomain"),
    issuer: config.get("issuer") ?? "https://login.oidc.example.com",
    clientId: "oidc-client",
    clientSecret: config.requireSecret("clientSecret"),
    ssoOrgId: "org_123",
});

export const plainId = plain.id;
export const oidcId = oidc.id;
export const oidcSsoDomain = oidc.ssoDomain;
