"""pulumi-resource-polytomic: the Organization served as a Pulumi provider plugin, for every language.

A thin front end over the same core as the dynamic provider (operations.py, queries.py): it turns the
engine's PropertyValues, spelled as in schema.json (`ssoDomain`), into the core's property dicts
(`sso_domain`) and back. Unlike the dynamic provider it can return changed fields, be imported into
(`pulumi import`), be instantiated once per partner account, and serve as many calls at once as the
engine sends.
"""
