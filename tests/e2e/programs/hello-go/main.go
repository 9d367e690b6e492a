// Test program: stack outputs from plain and secret config, or an error when the stack asks for one.
package main

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		if conf.GetBool("fail") {
			return errors.New("the program was asked to fail (config fail=true)")
		}
		ctx.Export("message", pulumi.String(fmt.Sprintf("hello %s from go on %s", conf.Require("name"), ctx.Stack())))
		ctx.Export("token", conf.RequireSecret("token"))
		return nil
	})
}
