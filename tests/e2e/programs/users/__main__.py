"""Test program: one organization and two users of it, one by role name, one with the default (Admin).

Stack config `bobEmail` and `bobRole` change the second user (tests/e2e/test_users.py)."""

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
