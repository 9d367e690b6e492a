"""The code generator behind `polytomic-pulumi generate`: names, literals and the program it writes."""

from __future__ import annotations

import ast
import keyword
from typing import Any

import pytest

from polytomic_provider.codegen import (
    MAX_NAME_LENGTH,
    plan_declarations,
    python_literal,
    render_program,
    resource_name,
)
from polytomic_provider.models import Organization
from polytomic_provider.resource import OrganizationArgs

OWNER = Organization(id="00000000-0000-4000-8000-00000000000a", name="Partner HQ")
PLAIN = Organization(
    id="00000000-0000-4000-8000-00000000000b", name="Acme Corp", sso_domain="acme.example.com"
)
SSO = Organization(id="00000000-0000-4000-8000-00000000000c", name="acme-corp", sso_org_id="org_01H")
OIDC = Organization(
    id="00000000-0000-4000-8000-00000000000d",
    name="Beta",
    issuer="https://login.beta.example.com",
    sso_domain="beta.example.com",
)


def declared(program: str) -> dict[str, dict[str, Any]]:
    """Each `x = Organization("name", OrganizationArgs(...), opts=...)` of a program, by resource name:
    its variable, its literal arguments, the config calls it makes and its options, read from the AST."""
    found: dict[str, dict[str, Any]] = {}
    for node in ast.parse(program).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not (isinstance(call.func, ast.Name) and call.func.id == "Organization"):
            continue
        [target] = node.targets
        assert isinstance(target, ast.Name)
        name = ast.literal_eval(call.args[0])
        args_call = call.args[1]
        assert isinstance(args_call, ast.Call)
        literals: dict[str, Any] = {}
        from_config: dict[str, str] = {}
        for keyword_ in args_call.keywords:
            assert keyword_.arg is not None
            value = keyword_.value
            if isinstance(value, ast.Call):
                assert isinstance(value.func, ast.Attribute)
                from_config[keyword_.arg] = f"{value.func.attr}({ast.literal_eval(value.args[0])})"
            else:
                literals[keyword_.arg] = ast.literal_eval(value)
        opts = {k.arg: ast.unparse(k.value) for k in call.keywords}
        found[name] = {"variable": target.id, "args": literals, "config": from_config, "opts": opts}
    return found


# -- names and literals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organization_name", "expected"),
    [
        ("Acme Corp", "acme_corp"),
        ("  Acme -- Corp!!  ", "acme_corp"),
        ("Évian Société", "evian_societe"),
        ("123 Go", "org_123_go"),
        ("class", "class_org"),
        ("id", "id_org"),
        ("pulumi", "pulumi_org"),
        ("Config", "config_org"),
        ("!!!", "organization"),
        ("東京", "organization"),
    ],
)
def test_resource_name_is_a_snake_case_identifier(organization_name: str, expected: str) -> None:
    assert resource_name(organization_name) == expected


def test_resource_names_are_unique_and_bounded() -> None:
    taken: list[str] = []
    for name in ["Acme Corp", "acme-corp", "ACME CORP", "acme_corp_2", "x" * 300, "東京", "大阪"]:
        taken.append(resource_name(name, taken))
    assert taken == [
        "acme_corp",
        "acme_corp_2",
        "acme_corp_3",
        "acme_corp_2_2",
        "x" * MAX_NAME_LENGTH,
        "organization",
        "organization_2",
    ]
    assert all(n.isidentifier() and not keyword.iskeyword(n) for n in taken)


@pytest.mark.parametrize(
    "text", ["plain", 'say "hi"', "it's", "both ' and \"", "back\\slash", "new\nline", '"""', "Évian 東京"]
)
def test_python_literal_round_trips(text: str) -> None:
    literal = python_literal(text)
    assert ast.literal_eval(literal) == text
    assert "\n" not in literal


def test_python_literal_prefers_double_quotes() -> None:
    assert python_literal("Acme") == '"Acme"'


# -- the program -----------------------------------------------------------------------------------------


def render(organizations: list[Organization], **options: Any) -> str:
    declarations, skipped = plan_declarations(organizations, owner_id=OWNER.id, **options)
    return render_program(declarations, skipped_owner=skipped, deployment_url="https://polytomic.example.com")


def test_each_organization_is_adopted_with_exactly_the_values_the_api_holds() -> None:
    program = render([OWNER, PLAIN, SSO])
    assert declared(program) == {
        "acme_corp": {
            "variable": "acme_corp",
            "args": {"name": "Acme Corp", "sso_domain": "acme.example.com", "adopt_id": PLAIN.id},
            "config": {},
            "opts": {},
        },
        "acme_corp_2": {
            "variable": "acme_corp_2",
            "args": {"name": "acme-corp", "sso_org_id": "org_01H", "adopt_id": SSO.id},
            "config": {},
            "opts": {},
        },
    }
    for declaration in declared(program).values():
        OrganizationArgs(**declaration["args"])  # every keyword is a real argument
    assert "config = pulumi.Config()" not in program  # no OIDC, so no config is read


def test_the_owner_is_left_out_and_named_in_a_comment() -> None:
    program = render([OWNER, PLAIN])
    assert "Partner HQ" not in declared(program)
    assert f'"Partner HQ" (id "{OWNER.id}")' in program
    assert "--include-owner" in program


def test_the_owner_is_retained_on_delete_when_included() -> None:
    found = declared(render([OWNER, PLAIN], include_owner=True))
    assert found["partner_hq"]["opts"] == {"opts": "pulumi.ResourceOptions(retain_on_delete=True)"}
    assert found["acme_corp"]["opts"] == {}


def test_retain_on_delete_applies_to_every_declaration() -> None:
    found = declared(render([PLAIN, SSO], retain_on_delete=True))
    assert {d["opts"]["opts"] for d in found.values()} == {"pulumi.ResourceOptions(retain_on_delete=True)"}


def test_oidc_credentials_come_from_stack_config_and_are_listed_in_the_docstring() -> None:
    program = render([OIDC])
    [declaration] = declared(program).values()
    assert declaration["config"] == {
        "client_id": "require(beta_client_id)",
        "client_secret": "require_secret(beta_client_secret)",
    }
    assert declaration["args"]["issuer"] == OIDC.issuer
    docstring = ast.get_docstring(ast.parse(program)) or ""
    assert "pulumi config set beta_client_id <client id>" in docstring
    assert "pulumi config set --secret beta_client_secret <client secret>" in docstring
    assert "pulumi config set polytomic:deploymentUrl https://polytomic.example.com" in docstring
    assert "config = pulumi.Config()" in program


def test_values_the_provider_would_reject_are_flagged() -> None:
    odd = Organization(id="00000000-0000-4000-8000-00000000000e", name="Odd", sso_domain="not a domain")
    program = render([odd, PLAIN])
    assert program.count("FIX BEFORE 'pulumi up'") == 1
    assert "sso_domain must be a domain name" in program


def test_unusual_names_still_make_valid_code() -> None:
    names = ['Quote " Co', "Apostrophe's", 'Triple """ Ltd', "Back\\slash", "class", "Évian"]
    organizations = [
        Organization(id=f"00000000-0000-4000-8000-{i:012d}", name=name) for i, name in enumerate(names)
    ]
    program = render(organizations)
    found = declared(program)
    assert sorted(d["args"]["name"] for d in found.values()) == sorted(names)
    compile(program, "__main__.py", "exec")


def test_an_empty_account_gives_a_program_that_declares_nothing() -> None:
    program = render([OWNER])
    assert declared(program) == {}
    assert "No organization matched" in program
    compile(program, "__main__.py", "exec")


def test_the_same_account_gives_the_same_program_whatever_the_api_order() -> None:
    twin = Organization(id="00000000-0000-4000-8000-00000000000e", name="Acme Corp")
    organizations = [OWNER, SSO, OIDC, twin, PLAIN]
    programs = {
        render(order) for order in (organizations, organizations[::-1], sorted(organizations, key=id))
    }
    assert len(programs) == 1
    [program] = programs
    # Ordered by name (as a string: "Beta" before "acme-corp"), then id: of the two "Acme Corp", the
    # suffix always goes to the same one.
    assert list(declared(program)) == ["acme_corp", "acme_corp_2", "beta", "acme_corp_3"]
    assert declared(program)["acme_corp"]["args"]["adopt_id"] == PLAIN.id
    assert declared(program)["acme_corp_2"]["args"]["adopt_id"] == twin.id


@pytest.mark.parametrize(
    "url", ["https://admin:hunter2@polytomic.example.com", "https://polytomic.example.com/?token=hunter2"]
)
def test_a_deployment_url_with_credentials_is_never_written_into_the_program(url: str) -> None:
    declarations, skipped = plan_declarations([PLAIN], owner_id=OWNER.id)
    program = render_program(declarations, skipped_owner=skipped, deployment_url=url)
    assert "hunter2" not in program and "<deployment url>" in program


# -- users -----------------------------------------------------------------------------------------------


def users_declared(program: str) -> dict[str, dict[str, Any]]:
    """Each `x = User("name", UserArgs(...), opts=...)` of a program, by resource name: its variable, its
    literal arguments, the organization variable it names and its options, read from the AST."""
    found: dict[str, dict[str, Any]] = {}
    for node in ast.parse(program).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if not (isinstance(call.func, ast.Name) and call.func.id == "User"):
            continue
        [target] = node.targets
        assert isinstance(target, ast.Name)
        args_call = call.args[1]
        assert isinstance(args_call, ast.Call) and ast.unparse(args_call.func) == "UserArgs"
        literals: dict[str, Any] = {}
        organization = ""
        for keyword_ in args_call.keywords:
            if keyword_.arg == "organization_id":
                organization = ast.unparse(keyword_.value)
            else:
                literals[str(keyword_.arg)] = ast.literal_eval(keyword_.value)
        opts = {k.arg: ast.unparse(k.value) for k in call.keywords}
        name = ast.literal_eval(call.args[0])
        found[name] = {"variable": target.id, "organization": organization, "args": literals, "opts": opts}
    return found


def user(user_id: int, email: str, organization: Organization, role_ids: list[str] | None) -> Any:
    from polytomic_provider.user_models import User

    return User(
        id=f"00000000-0000-4000-9000-{user_id:012d}",
        email=email,
        organization_id=organization.id,
        role="admin",
        role_ids=role_ids,
    )


def test_each_user_of_a_declared_organization_is_adopted_after_it_with_the_apis_role_ids() -> None:
    from polytomic_provider.codegen import with_users
    from polytomic_provider.user_resource import UserArgs

    jane, bob = (
        user(1, "jane@acme.example.com", PLAIN, ["r-admin"]),
        user(2, "bob@acme.example.com", PLAIN, None),
    )
    same = user(3, "jane@other.example.com", PLAIN, ["r-member", "r-x"])
    owners = user(4, "root@partner.example.com", OWNER, ["r-admin"])
    declarations, skipped = plan_declarations([OWNER, PLAIN, SSO], owner_id=OWNER.id)
    planned = with_users(declarations, {PLAIN.id: [jane, same, bob], OWNER.id: [owners]})
    program = render_program(planned, skipped_owner=skipped)
    compile(program, "__main__.py", "exec")
    assert "from polytomic_provider import Organization, OrganizationArgs, User, UserArgs" in program
    found = users_declared(program)
    assert list(found) == ["acme_corp_bob", "acme_corp_jane", "acme_corp_jane_2"], "by email, then id"
    assert {name: (d["organization"], d["args"]) for name, d in found.items()} == {
        "acme_corp_bob": ("acme_corp.id", {"email": bob.email, "adopt_id": bob.id}),
        "acme_corp_jane": (
            "acme_corp.id",
            {"email": jane.email, "role_ids": ["r-admin"], "adopt_id": jane.id},
        ),
        "acme_corp_jane_2": (
            "acme_corp.id",
            {"email": same.email, "role_ids": ["r-member", "r-x"], "adopt_id": same.id},
        ),
    }
    assert "No role ids returned by the API" in program
    for declaration in found.values():
        UserArgs(organization_id="x", **declaration["args"])  # every keyword is a real argument
    assert owners.id not in program, "the owner organization is left out, and its users with it"
    assert program.index("acme_corp = Organization(") < program.index("acme_corp_bob = User(")
    assert program.index("acme_corp_jane_2 = User(") < program.index("acme_corp_2 = Organization(")


def test_users_of_a_retained_organization_are_retained_and_names_stay_unique() -> None:
    from polytomic_provider.codegen import with_users

    taken = Organization(id="00000000-0000-4000-8000-00000000000f", name="Acme Corp Jane")
    jane = user(1, "Jane@acme.example.com", PLAIN, ["r-admin"])
    declarations, skipped = plan_declarations([PLAIN, taken], owner_id=OWNER.id, retain_on_delete=True)
    program = render_program(with_users(declarations, {PLAIN.id: [jane]}), skipped_owner=skipped)
    compile(program, "__main__.py", "exec")
    [(name, found)] = users_declared(program).items()
    assert name == "acme_corp_jane_2" and found["opts"] == {
        "opts": "pulumi.ResourceOptions(retain_on_delete=True)"
    }
    assert "User, UserArgs" not in render_program(declarations, skipped_owner=skipped)
