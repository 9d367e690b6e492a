"""The official Polytomic Python SDK against a served emulator.

If the emulator drifts from the wire contract the generated SDK was built for (paths, envelopes, error
statuses, headers), these tests fail. Retries are turned off so that each error status surfaces as the
SDK's typed error at once instead of after back-off.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import pytest
from polytomic import Polytomic
from polytomic.core.api_error import ApiError
from polytomic.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableEntityError,
)

from polytomic_emulator.launcher import EmulatorProcess

PARTNER_KEY = "sdk-contract-partner-key-41d9"
ORG_KEY = "sdk-contract-org-key-8c2e"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(partner_key=PARTNER_KEY, api_keys=[ORG_KEY]) as process:
        yield process


@pytest.fixture
def sdk(emulator: EmulatorProcess) -> Polytomic:
    emulator.admin.reset()
    return Polytomic(
        base_url=emulator.url, token=PARTNER_KEY, version="2025-09-18", max_retries=0, timeout=10
    )


def test_crud_round_trip(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    created = sdk.organization.create(
        name="SDK Org",
        client_id="sdk-client",
        client_secret="sdk-secret-value",
        issuer="https://idp.sdk.test",
        sso_domain="sdk.test",
    ).data
    assert created is not None and created.id is not None
    assert created.name == "SDK Org" and created.sso_domain == "sdk.test" and created.sso_org_id is None

    listed = sdk.organization.list().data or []
    assert [org.name for org in listed] == ["Emulator Partner", "Emulator API Key Organization 1", "SDK Org"]

    fetched = sdk.organization.get(created.id).data
    assert fetched == created

    updated = sdk.organization.update(created.id, name="SDK Org Renamed", sso_org_id="org_sdk").data
    assert updated is not None
    assert updated.name == "SDK Org Renamed" and updated.sso_org_id == "org_sdk"
    assert updated.issuer is None and updated.sso_domain is None  # replaced in full

    sdk.organization.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.organization.get(created.id)


def test_current_organization(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    owner = sdk.organization.get_current().data
    assert owner is not None and owner.name == "Emulator Partner"
    as_org = Polytomic(base_url=emulator.url, token=ORG_KEY, max_retries=0).organization.get_current().data
    assert as_org is not None and as_org.id != owner.id


def test_typed_errors(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    sdk.organization.create(name="Taken")
    with pytest.raises(ConflictError) as conflict:
        sdk.organization.create(name="Taken")
    assert conflict.value.body.key == "organization_name_taken" and conflict.value.body.status == 409

    with pytest.raises(UnprocessableEntityError) as invalid:
        sdk.organization.create(name="   ")
    assert invalid.value.body.metadata == {"fields": {"name": "must not be empty"}}

    with pytest.raises(NotFoundError):
        sdk.organization.get(str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        sdk.organization.delete(str(uuid.uuid4()))

    owner = sdk.organization.get_current().data
    assert owner is not None and owner.id is not None
    with pytest.raises(ForbiddenError) as forbidden:
        sdk.organization.delete(owner.id)
    assert forbidden.value.body.key == "owner_organization"

    org_client = Polytomic(base_url=emulator.url, token=ORG_KEY, max_retries=0)
    with pytest.raises(ForbiddenError):
        org_client.organization.get(owner.id)
    with pytest.raises(ForbiddenError):
        org_client.organization.update(owner.id, name="Hijack")

    with pytest.raises(UnauthorizedError):
        Polytomic(base_url=emulator.url, token="wrong-key", max_retries=0).organization.get_current()


def test_errors_the_sdk_has_no_class_for_are_generic_api_errors(
    sdk: Polytomic, emulator: EmulatorProcess
) -> None:
    # The list endpoint declares only 500; a 403 arrives as the SDK's base ApiError with our body.
    org_client = Polytomic(base_url=emulator.url, token=ORG_KEY, max_retries=0)
    with pytest.raises(ApiError) as error:
        org_client.organization.list()
    assert error.value.status_code == 403
    assert error.value.body["key"] == "partner_key_required"


def test_idempotency_key_and_headers_reach_the_emulator(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    first = sdk.organization.create(name="Keyed", idempotency_key="sdk-idem-key-0001").data
    again = sdk.organization.create(name="Keyed", idempotency_key="sdk-idem-key-0001").data
    assert first == again
    entries = emulator.admin.journal()
    assert [e["headers"].get("idempotency-key") for e in entries] == ["sdk-idem-key-0001"] * 2
    assert [e["replayed"] for e in entries] == [False, True]
    assert all(e["headers"]["x-polytomic-version"] == "2025-09-18" for e in entries)
    assert all(e["headers"]["authorization"] == "Bearer <redacted>" for e in entries)


def test_sdk_retries_recover_from_injected_faults(emulator: EmulatorProcess) -> None:
    emulator.admin.reset()
    emulator.admin.set_faults(fail_next=1, fail_status=429, retry_after_s=0)
    retrying = Polytomic(base_url=emulator.url, token=PARTNER_KEY, max_retries=2, timeout=10)
    orgs = retrying.organization.list().data or []
    assert orgs and orgs[0].name == "Emulator Partner"
    assert [e["status"] for e in emulator.admin.journal()] == [429, 200]


def test_raw_response_echoes_the_version(sdk: Polytomic) -> None:
    raw = sdk.organization.with_raw_response.list()
    assert raw.headers["x-polytomic-version"] == "2025-09-18"


# -- users and roles (SDK 25.9.x: keyword arguments throughout, since positional order changed between
# releases) ---------------------------------------------------------------------------------------------


def _basic(org_id: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{org_id}:{PARTNER_KEY}".encode()).decode()}


def test_users_round_trip(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    org = sdk.organization.create(name="SDK Users Org").data
    assert org is not None and org.id is not None
    as_org = Polytomic(base_url=emulator.url, headers=_basic(org.id), max_retries=0, timeout=10)
    roles = as_org.permissions.roles.list().data or []
    assert [(r.name, r.system, r.organization_id) for r in roles] == [
        ("Admin", True, org.id),
        ("Member", True, org.id),
    ]
    admin, member = (r.id for r in roles)
    assert admin is not None and member is not None
    got_role = as_org.permissions.roles.get(id=member).data
    assert got_role is not None and got_role.name == "Member"

    created = sdk.users.create(
        org_id=org.id, email="SDK.User@Example.com", idempotency_key="sdk-user-create-1"
    ).data
    assert created is not None and created.id is not None
    assert created.email == "sdk.user@example.com" and created.organization_id == org.id
    assert created.role == "admin" and created.role_ids == [admin]
    again = sdk.users.create(
        org_id=org.id, email="SDK.User@Example.com", idempotency_key="sdk-user-create-1"
    ).data
    assert again == created
    assert [i["user_id"] for i in emulator.admin.invitations()] == [created.id]

    listed = sdk.users.list(org_id=org.id).data or []
    assert [u.id for u in listed] == [created.id]
    assert sdk.users.get(org_id=org.id, id=created.id).data == created

    updated = sdk.users.update(
        org_id=org.id, id=created.id, email="SDK.USER@example.com", role_ids=[member]
    ).data
    assert updated is not None and updated.role_ids == [member] and updated.role == "user"
    assert updated.email == "sdk.user@example.com"

    key = sdk.users.create_api_key(org_id=org.id, id=created.id).data
    assert key is not None and key.value
    as_user = Polytomic(base_url=emulator.url, token=key.value, max_retries=0, timeout=10)
    current = as_user.organization.get_current().data
    assert current is not None and current.id == org.id
    assert [u.id for u in as_user.users.list_current_org_users().data or []] == [created.id]
    assert [r.id for r in as_user.permissions.roles.list().data or []] == [admin, member]

    forced = sdk.users.create_api_key(org_id=org.id, id=created.id, force=True).data
    assert forced is not None and forced.value and forced.value != key.value
    with pytest.raises(UnauthorizedError):
        as_user.organization.get_current()

    deleted = sdk.users.delete(org_id=org.id, id=created.id).data  # 200 with the envelope, not 204
    assert deleted is not None and deleted.id == created.id
    with pytest.raises(NotFoundError):
        sdk.users.get(org_id=org.id, id=created.id)
    with pytest.raises(UnauthorizedError):
        Polytomic(base_url=emulator.url, token=forced.value, max_retries=0).organization.get_current()
    assert key.value not in json.dumps(emulator.admin.journal())
    assert forced.value not in json.dumps(emulator.admin.journal())


def test_current_org_users(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    as_org = Polytomic(base_url=emulator.url, token=ORG_KEY, max_retries=0, timeout=10)
    created = as_org.users.create_current_org_user(email="Current@Example.com", role="user").data
    assert created is not None and created.id is not None and created.role == "user"
    fetched = as_org.users.get_current_org_user(id=created.id).data  # a CurrentOrgUserResponse
    assert fetched is not None and (fetched.id, fetched.email, fetched.role_ids) == (
        created.id,
        "current@example.com",
        created.role_ids,
    )
    updated = as_org.users.update_current_org_user(id=created.id, role="admin").data
    assert updated is not None and updated.role == "admin"
    assert [u.id for u in as_org.users.list_current_org_users().data or []] == [created.id]
    deleted = as_org.users.delete_current_org_user(id=created.id).data
    assert deleted is not None and deleted.id == created.id


def test_users_typed_errors(sdk: Polytomic, emulator: EmulatorProcess) -> None:
    org = sdk.organization.create(name="SDK Users Errors").data
    assert org is not None and org.id is not None
    sdk.users.create(org_id=org.id, email="taken@example.com")
    with pytest.raises(UnprocessableEntityError) as taken:
        sdk.users.create(org_id=org.id, email="TAKEN@example.com")
    assert taken.value.body.key == "user_email_taken" and taken.value.body.status == 422
    with pytest.raises(UnprocessableEntityError):
        sdk.users.create(org_id=org.id, email="ok@example.com", role="admin", role_ids=[str(uuid.uuid4())])
    with pytest.raises(UnprocessableEntityError):
        sdk.users.create(org_id=org.id, email="ok@example.com", role_ids=[])
    with pytest.raises(NotFoundError):
        sdk.users.list(org_id=str(uuid.uuid4()))
    with pytest.raises(NotFoundError):
        sdk.users.create_api_key(org_id=org.id, id=str(uuid.uuid4()))
    org_client = Polytomic(base_url=emulator.url, token=ORG_KEY, max_retries=0)
    with pytest.raises(ForbiddenError) as forbidden:
        org_client.users.list(org_id=org.id)
    assert forbidden.value.body.key == "organization_mismatch"
    with pytest.raises(ApiError) as partner_on_roles:  # roles declare no 403: the base ApiError
        sdk.permissions.roles.list()
    assert partner_on_roles.value.status_code == 403
    with pytest.raises(NotFoundError):
        org_client.permissions.roles.get(id=str(uuid.uuid4()))
