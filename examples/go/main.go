// Two Polytomic organizations, one plain and one signing in through OIDC (onboarded with its first admin
// user), and the partner's own.
package main

import (
	"github.com/polytomic-pulumi/polytomic-pulumi/sdk/go/polytomic"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		prefix := conf.Get("namePrefix")
		if prefix == "" {
			prefix = "Demo Go"
		}
		analytics, err := polytomic.NewOrganization(ctx, "analytics", &polytomic.OrganizationArgs{
			Name:      pulumi.String(prefix + " Analytics"),
			SsoDomain: pulumi.String("analytics.example.com"),
		})
		if err != nil {
			return err
		}
		acme, err := polytomic.NewOrganization(ctx, "acme", &polytomic.OrganizationArgs{
			Name:         pulumi.String(prefix + " Acme"),
			SsoDomain:    pulumi.String("acme.example.com"),
			Issuer:       pulumi.String("https://login.acme.example.com"),
			ClientId:     pulumi.String(conf.Require("acmeClientId")),
			ClientSecret: conf.RequireSecret("acmeClientSecret"),
		})
		if err != nil {
			return err
		}
		adminEmail := conf.Get("acmeAdminEmail")
		if adminEmail == "" {
			adminEmail = "admin@acme.example.com"
		}
		acmeAdmin, err := polytomic.NewUser(ctx, "acmeAdmin", &polytomic.UserArgs{
			OrganizationId: acme.ID(),
			Email:          pulumi.String(adminEmail),
			Role:           pulumi.String("Admin"), // the default; the user is sent an invitation
		})
		if err != nil {
			return err
		}
		owner := polytomic.GetCurrentOrganizationOutput(ctx)

		ctx.Export("analyticsId", analytics.ID())
		ctx.Export("acmeId", acme.ID())
		ctx.Export("acmeClientSecret", acme.ClientSecret) // shown as [secret]
		ctx.Export("acmeAdminId", acmeAdmin.ID())
		ctx.Export("partnerOrganization", owner.Name())
		return nil
	})
}
