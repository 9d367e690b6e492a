"""The `Organization` resource and its arguments, as a Pulumi program uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.dynamic

from .fields import ACCOUNT, ADOPT_ID, CREATE_KEY, FIELDS, NAME_SECRET
from .ownership import REPLACEMENT_DELETES_FIRST
from .provider import OrganizationProvider

__all__ = ["Organization", "OrganizationArgs"]

_PROVIDER = OrganizationProvider()
_SECRET_OUTPUTS = ["client_secret"]
# Inputs that are bookkeeping, not fields: the create key, the account that holds the organization, and the
# key scope 0.1 wrote into state. Ignoring them keeps them out of the diffs the engine shows.
_BOOKKEEPING = [CREATE_KEY, ACCOUNT, NAME_SECRET, "__create_scope"]


@dataclass(frozen=True, kw_only=True)
class OrganizationArgs:
    """The desired state of a Polytomic organization.

    :param name: Display name; must be unique across the partner account. Renaming updates in place.
    :param client_id: OIDC client id of your identity provider's app for Polytomic. Write-only on the API.
    :param client_secret: OIDC client secret. Write-only on the API, always stored as a Pulumi secret.
    :param issuer: OIDC issuer URL (https), e.g. ``https://login.example.com``.
    :param sso_domain: Email domain whose users sign in through SSO, e.g. ``example.com``.
    :param sso_org_id: WorkOS organization id used for SAML/SSO, e.g. ``org_01H...``.
    :param adopt_id: Id of an existing organization to bring under management instead of creating one.
        Only read when the resource is first created; ``ResourceOptions(import_=id)`` means the same.
    """

    name: pulumi.Input[str]
    client_id: pulumi.Input[str] | None = None
    client_secret: pulumi.Input[str] | None = None
    issuer: pulumi.Input[str] | None = None
    sso_domain: pulumi.Input[str] | None = None
    sso_org_id: pulumi.Input[str] | None = None
    adopt_id: pulumi.Input[str] | None = None


class Organization(pulumi.dynamic.Resource, module="polytomic", name="Organization"):
    """A Polytomic organization in your partner account (type `pulumi-python:dynamic/polytomic:Organization`).

    Every update sends the whole declared payload, because Polytomic replaces SSO/OIDC settings in full:
    a field removed from the program is cleared on the server.
    """

    name: pulumi.Output[str]
    client_id: pulumi.Output[str | None]
    client_secret: pulumi.Output[str | None]
    issuer: pulumi.Output[str | None]
    sso_domain: pulumi.Output[str | None]
    sso_org_id: pulumi.Output[str | None]

    def __init__(
        self, resource_name: str, args: OrganizationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        opts, adopt_id = _adoption_from_import(opts, args.adopt_id)
        props: dict[str, Any] = {f: getattr(args, f) for f in FIELDS}
        if args.client_secret is not None:
            props["client_secret"] = pulumi.Output.secret(args.client_secret)
        props[ADOPT_ID] = adopt_id
        if isinstance(args.name, pulumi.Output):  # only a computed name may be a secret
            props[NAME_SECRET] = pulumi.Output.from_input(args.name.is_secret())
        super().__init__(_PROVIDER, resource_name, props, _with_defaults(opts))
        if adopt_id is not None and pulumi.runtime.is_dry_run():
            pulumi.Output.from_input(adopt_id).apply(
                lambda id_: pulumi.log.info(
                    f"if this resource is not in the stack yet, 'pulumi up' adopts the existing organization "
                    f"{id_} (no new organization is created; one PUT if its settings differ or "
                    f"client_id/client_secret are declared)",
                    resource=self,
                )
            )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> Organization:
        """A read-only reference to an existing organization; Pulumi will not create, change or delete it."""
        organization = Organization.__new__(Organization)
        props: dict[str, Any] = dict.fromkeys(FIELDS)
        pulumi.dynamic.Resource.__init__(
            organization,
            _PROVIDER,
            resource_name,
            props,
            _with_defaults(pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))),
        )
        return organization


def _with_defaults(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """`client_secret` is always a secret output, and a replacement deletes first unless told otherwise
    (`ownership.REPLACEMENT_DELETES_FIRST`); an explicit `delete_before_replace=False` is honoured (it
    works when the replacement has a new name). Bookkeeping inputs are ignored in diffs: they are no field.
    """
    merged = pulumi.ResourceOptions.merge(
        opts,
        pulumi.ResourceOptions(additional_secret_outputs=_SECRET_OUTPUTS, ignore_changes=_BOOKKEEPING),
    )
    if merged.delete_before_replace is None:
        merged.delete_before_replace = REPLACEMENT_DELETES_FIRST
    return merged


def _adoption_from_import(
    opts: pulumi.ResourceOptions | None, adopt_id: pulumi.Input[str] | None
) -> tuple[pulumi.ResourceOptions | None, pulumi.Input[str] | None]:
    """Turn `import_=` into our own adoption: the engine's import cannot reach a dynamic provider."""
    if opts is None or not opts.import_:
        return opts, adopt_id
    imported = opts.import_
    opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions())
    opts.import_ = None
    return opts, adopt_id if adopt_id is not None else imported
