"""The Organization's property names, with no dependencies.

The Pulumi program imports the resource, and with it the provider module, on every run: keeping names
here lets both stay free of pydantic and httpx until a provider method actually needs them.
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT",
    "ADOPT_ID",
    "CREATE_KEY",
    "DESCRIPTIONS",
    "FIELDS",
    "LOOKUP_DESCRIPTIONS",
    "NAME_SECRET",
    "OIDC_FIELDS",
    "OPTIONAL_FIELDS",
    "READABLE_FIELDS",
    "SECRET_FIELDS",
    "WRITE_ONLY_FIELDS",
]

OPTIONAL_FIELDS = ("client_id", "client_secret", "issuer", "sso_domain", "sso_org_id")
FIELDS = ("name", *OPTIONAL_FIELDS)
WRITE_ONLY_FIELDS = ("client_id", "client_secret")  # the API accepts them and never returns them
SECRET_FIELDS = ("client_secret",)
READABLE_FIELDS = ("name", "issuer", "sso_domain", "sso_org_id")
OIDC_FIELDS = ("client_id", "client_secret", "issuer")

# What each field means, as the plugin's schema (and so every typed SDK) documents it.
DESCRIPTIONS = {
    "name": "Display name, unique across the partner account. Renaming updates in place.",
    "client_id": (
        "OIDC client id of your identity provider's app. Write-only on the API: kept from the program, "
        "never read back."
    ),
    "client_secret": (
        "OIDC client secret. Write-only on the API: kept from the program, never read back; always a secret."
    ),
    "issuer": "OIDC issuer, an https:// URL such as https://login.example.com.",
    "sso_domain": "Email domain whose users sign in through SSO, such as example.com.",
    "sso_org_id": "WorkOS organization id used for SAML/SSO.",
}
# The same fields as a lookup returns them (the API's answer: no write-only field).
LOOKUP_DESCRIPTIONS = {
    "id": "The organization's id.",
    "name": "Display name.",
    "issuer": "OIDC issuer, when OIDC is set up.",
    "sso_domain": "Email domain whose users sign in through SSO.",
    "sso_org_id": "WorkOS organization id used for SAML/SSO.",
}

ADOPT_ID = "adopt_id"  # an existing organization to take over on create
# The Idempotency-Key of this operation's create, drawn fresh by `check` on every run. The engine records the
# checked inputs in a pending create before calling Create, so a killed run leaves the key in the stack's
# state, where `polytomic-pulumi recover` finds it: the proof that an organization is this stack's own.
CREATE_KEY = "__create_key"
# The partner account that holds the organization (accounts.py): recorded in inputs and outputs.
ACCOUNT = "__account"
# Set by the dynamic `Organization` when the program marked its name secret: the provider host strips the
# marks before the provider sees the values, and messages must not repeat such a name.
NAME_SECRET = "__name_secret"
