"""The official Polytomic Python SDK against a served emulator.

If the emulator drifts from the wire contract the generated SDK was built for (paths, envelopes, error
statuses, headers), these tests fail. Retries are turned off so that each error status surfaces as the
SDK's typed error at once instead of after back-off.
"""

from __future__ import annotations

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
