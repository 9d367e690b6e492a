"""Wire payloads and responses: what is sent on create/update, and how responses are read."""

from __future__ import annotations

import pytest

from polytomic_provider.models import Organization, OrganizationSpec, validate_inputs


def test_payload_holds_every_set_field_and_nothing_else() -> None:
    spec = OrganizationSpec(
        name="Acme", client_id="c", client_secret="s", issuer="https://idp.example.com", sso_domain="acme.com"
    )
    assert spec.payload() == {
        "name": "Acme",
        "client_id": "c",
        "client_secret": "s",
        "issuer": "https://idp.example.com",
        "sso_domain": "acme.com",
    }
    assert OrganizationSpec(name="Plain").payload() == {"name": "Plain"}


def test_responses_are_read_from_the_envelope_and_tolerate_extra_fields() -> None:
    body = {"data": {"id": "1", "name": "Acme", "sso_domain": "acme.com", "created_at": "2026-01-01"}}
    org = Organization.from_envelope(body)
    assert org.readable() == {"name": "Acme", "issuer": None, "sso_domain": "acme.com", "sso_org_id": None}
    assert Organization.list_from_envelope({"data": None}) == []


def test_valid_inputs_give_a_spec() -> None:
    spec, problems = validate_inputs(
        {"name": "Acme", "sso_domain": "xn--bcher-kva.example", "sso_org_id": "org_1"}
    )
    assert problems == [] and spec is not None and spec.sso_domain == "xn--bcher-kva.example"


def test_secret_is_absent_from_repr() -> None:
    spec = OrganizationSpec(
        name="a", client_id="c", client_secret="very-secret", issuer="https://i.example.com"
    )
    assert "very-secret" not in repr(spec)


@pytest.mark.parametrize(
    ("value", "got"),
    [(5.0, "a number"), (5, "a number"), (True, "a boolean"), (["a"], "a list"), ({"a": 1}, "an object")],
)
def test_a_wrong_type_is_named_as_a_person_would_name_it(value: object, got: str) -> None:
    _, problems = validate_inputs({"name": value, "sso_domain": value})
    reasons = {p.property: p.reason for p in problems}
    assert reasons["name"] == f"name must be a string, got {got}"
    assert reasons["sso_domain"] == f"sso_domain must be a string, got {got}"


def test_a_malformed_answer_is_reported_without_the_values_it_echoed() -> None:
    """A 2xx whose organization is of another shape: pydantic's message must not repeat what the server
    sent (here a client secret echoed in a field that should be a string)."""
    import pydantic

    from polytomic_provider.models import Organization

    echoed = {"data": {"id": "o-1", "name": {"client_secret": "echoed-secret-value-1234"}}}
    with pytest.raises(pydantic.ValidationError) as failure:
        Organization.from_envelope(echoed)
    assert "echoed-secret-value-1234" not in str(failure.value)
    assert "name" in str(failure.value)
