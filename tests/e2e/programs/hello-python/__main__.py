"""Test program: stack outputs from plain and secret config, or an error when the stack asks for one."""

import pulumi

config = pulumi.Config()
if config.get_bool("fail"):
    raise RuntimeError("the program was asked to fail (config fail=true)")
pulumi.export("message", f"hello {config.require('name')} from python on {pulumi.get_stack()}")
pulumi.export("token", config.require_secret("token"))
