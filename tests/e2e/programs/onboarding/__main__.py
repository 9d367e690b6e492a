"""Test program: two organizations onboarding their users, with the dynamic provider
(tests/e2e/test_onboarding.py; programs/plugin-onboarding declares the same through the provider plugin).

acme (with a client secret, stack config `clientSecret`) has jane, its admin (no role: Admin), bob (stack
config `bobRole`, default Member) and jane's API key; globex has ann (Admin) and zoe (a Member, stack config
`zoeEmail`). Stack config `extraUsers` adds users: a JSON list of {resource, organization, email, adopt_id}.
"""

import pulumi

from polytomic_provider import (
    Organization,
    OrganizationArgs,
    User,
    UserApiKey,
    UserApiKeyArgs,
    UserArgs,
    get_users_output,
)

config = pulumi.Config()
organizations = {
    "acme": Organization(
        "acme",
        OrganizationArgs(
            name="Onboarding Acme",
            client_id="acme-client",
            client_secret=config.require_secret("clientSecret"),
            issuer="https://login.acme.example.com",
        ),
    ),
    "globex": Organization("globex", OrganizationArgs(name="Onboarding Globex")),
}


def user(
    name: str, organization: str, email: str, role: str | None = None, adopt_id: str | None = None
) -> User:
    args = UserArgs(organization_id=organizations[organization].id, email=email, role=role, adopt_id=adopt_id)
    return User(name, args)


jane = user("jane", "acme", "Jane@Acme.example.com")
bob = user("bob", "acme", "Bob@Acme.example.com", config.get("bobRole") or "member")
ann = user("ann", "globex", "ann@globex.example.com", "Admin")
zoe = user("zoe", "globex", config.get("zoeEmail") or "Zoe@Globex.example.com", "MEMBER")
for extra in config.get_object("extraUsers") or []:
    user(extra["resource"], extra["organization"], extra["email"], adopt_id=extra.get("adopt_id"))
key = UserApiKey("janeKey", UserApiKeyArgs(organization_id=organizations["acme"].id, user_id=jane.id))

pulumi.export("acmeId", organizations["acme"].id)
pulumi.export("globexId", organizations["globex"].id)
for name, declared in {"jane": jane, "bob": bob, "ann": ann, "zoe": zoe}.items():
    pulumi.export(f"{name}Id", declared.id)
pulumi.export("janeKey", key.value)
listed = get_users_output(organization_id=organizations["acme"].id)
pulumi.export("acmeUsers", listed.apply(lambda users: [{"id": u.id, "email": u.email} for u in users]))
