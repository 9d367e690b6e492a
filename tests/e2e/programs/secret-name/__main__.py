"""Test program: an organization whose name the program marks secret (a plain config value made secret,
so the CLI has no config secret to mask it with): no message of the provider may repeat it."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs

Organization("hidden", OrganizationArgs(name=pulumi.Output.secret(pulumi.Config().require("orgName"))))
