"""The provider plugin `polytomic`, run from source by Pulumi's Python language host (PulumiPlugin.yaml):
the same entry point as the `pulumi-resource-polytomic` command a pip install provides."""

from polytomic_provider.plugin.__main__ import main

main()
