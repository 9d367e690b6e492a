"""Test program: an organization, a user of it, and an API key minted for that user.

Stack config `rotation` is the key's keeper: changing it rotates the key (tests/e2e/test_user_api_key.py)."""

import pulumi

from polytomic_provider import Organization, OrganizationArgs, User, UserApiKey, UserApiKeyArgs, UserArgs

config = pulumi.Config()
organization = Organization("keyed", OrganizationArgs(name="Keyed Partner"))
robot = User("robot", UserArgs(organization_id=organization.id, email="robot@example.com"))
key = UserApiKey(
    "robot-key",
    UserApiKeyArgs(
        organization_id=organization.id,
        user_id=robot.id,
        keepers={"rotation": config.get("rotation") or "1"},
    ),
)
pulumi.export("organization_id", organization.id)
pulumi.export("user_id", robot.id)
pulumi.export("key", key.value)
