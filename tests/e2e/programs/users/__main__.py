"""Test program: one organization and two users of it, one by role name, one with the default (Admin).

Used by tests/e2e/test_users.py (drift found by refresh) and tests/reliability/test_kill.py. Stack config
`bobEmail` and `bobRole` can change the second user (the onboarding test, tests/e2e/test_onboarding.py,
covers such changes with programs/onboarding)."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs, User, UserArgs

config = pulumi.Config()
organization = Organization(
    "partner",
    OrganizationArgs(
        name="Users Partner",
        client_id="users-client",
        client_secret=config.require_secret("clientSecret"),
        issuer="https://login.users.example.com",
    ),
)
jane = User("jane", UserArgs(organization_id=organization.id, email="jane@example.com"))
bob = User(
    "bob",
    UserArgs(
        organization_id=organization.id,
        email=config.get("bobEmail") or "Bob@Example.com",
        role=config.get("bobRole") or "member",
    ),
)
pulumi.export("organization_id", organization.id)
pulumi.export("jane_id", jane.id)
pulumi.export("bob_id", bob.id)
pulumi.export("bob_role_ids", bob.role_ids)
