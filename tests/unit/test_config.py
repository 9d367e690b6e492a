"""Settings resolution: stack config, then environment, then defaults; bad values name their setting."""

from __future__ import annotations

import base64
import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polytomic_provider.config import (
    DEFAULT_API_VERSION,
    DEFAULT_DEPLOYMENT_URL,
    Secret,
    check_settings,
    normalize_url,
    resolve_settings,
)
from polytomic_provider.errors import ConfigurationError


def lookup_from(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda key: values.get(key)


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = resolve_settings(lookup_from({}), env={})
    assert settings.partner_key is None
    assert settings.deployment_url == DEFAULT_DEPLOYMENT_URL
    assert settings.api_version == DEFAULT_API_VERSION


def test_stack_config_wins_over_the_environment() -> None:
    env = {"POLYTOMIC_PARTNER_KEY": "from-env", "POLYTOMIC_DEPLOYMENT_URL": "env.example.com"}
    settings = resolve_settings(
        lookup_from({"partnerKey": "from-config", "deploymentUrl": "cfg.example.com"}), env
    )
    assert settings.partner_key == Secret("from-config")
    assert settings.deployment_url == "https://cfg.example.com"


def test_environment_fills_in_and_the_api_key_is_a_fallback() -> None:
    assert resolve_settings(lookup_from({}), {"POLYTOMIC_API_KEY": "k"}).partner_key == Secret("k")
    both = {"POLYTOMIC_API_KEY": "api", "POLYTOMIC_PARTNER_KEY": "partner"}
    assert resolve_settings(lookup_from({}), both).partner_key == Secret("partner")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("app.polytomic.com", "https://app.polytomic.com"),
        ("https://app.polytomic.com/", "https://app.polytomic.com"),
        ("http://127.0.0.1:8765//", "http://127.0.0.1:8765"),
        ("  https://polytomic.example.com/base  ", "https://polytomic.example.com/base"),
    ],
)
def test_urls_are_normalised(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"deploymentUrl": "ftp://x.example.com"}, "polytomic:deploymentUrl"),
        ({"apiVersion": "latest"}, "polytomic:apiVersion"),
        # Full-width digits match \d but cannot go into an HTTP header: refused here, not at the first call.
        ({"apiVersion": "\uff12\uff10\uff12\uff15-\uff10\uff19-\uff11\uff18"}, "polytomic:apiVersion"),
        ({"requestTimeout": "soon"}, "polytomic:requestTimeout"),
        ({"maxAttempts": "0"}, "polytomic:maxAttempts"),
        ({"retryBudget": "-1"}, "polytomic:retryBudget"),
    ],
)
def test_bad_values_name_the_setting(values: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        resolve_settings(lookup_from(values), env={})


def test_a_missing_key_says_where_to_set_it() -> None:
    with pytest.raises(ConfigurationError) as failure:
        resolve_settings(lookup_from({}), env={}).require_key()
    assert "pulumi config set --secret polytomic:partnerKey" in str(failure.value)
    assert "POLYTOMIC_PARTNER_KEY" in str(failure.value)


def test_secret_hides_its_value() -> None:
    secret = Secret("s3cr3t-value")
    assert "s3cr3t-value" not in repr(secret) + str(secret) + f"{secret}"
    assert secret.reveal() == "s3cr3t-value"


# -- hostile values (issue 15: findings 1, 4 and 6) ------------------------------------------------------

KEY = "pk-test-5b1e0c7d9a2f4e68"


@pytest.mark.parametrize("bad", [f"{KEY}\nX", f"{KEY}\r\nX", f"{KEY}\x00", f"pk test {KEY}", f"{KEY}é"])
def test_a_key_an_http_header_cannot_carry_is_refused_without_echoing_it(bad: str) -> None:
    for values, env, named in (
        ({"partnerKey": bad}, {}, "polytomic:partnerKey"),
        ({}, {"POLYTOMIC_PARTNER_KEY": bad}, "POLYTOMIC_PARTNER_KEY"),
        ({}, {"POLYTOMIC_API_KEY": bad}, "POLYTOMIC_API_KEY"),
    ):
        with pytest.raises(ConfigurationError) as failure:
            resolve_settings(lookup_from(values), env)
        message = str(failure.value)
        assert named in message and "copy the key again" in message
        assert KEY not in message and "5b1e0c7d" not in message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://user:hunter2-pw@app.polytomic.com", "user name or password"),
        ("https://hunter2-pw@app.polytomic.com", "user name or password"),
        ("https://app.polytomic.com/?token=hunter2-pw", "query"),
        ("https://app.polytomic.com#hunter2-pw", "fragment"),
        ("https://[::1", "not a valid URL"),
        ("https://[hunter2-pw]", "not a valid URL"),
        ("javascript:alert('hunter2-pw')", "http:// or https://"),
        ("ftp://hunter2-pw.example.com", "http:// or https://"),
        ("https://hunter2-pw.example.com:99999", "not a valid URL"),
        ("https://host name/hunter2-pw", "without spaces"),
        ("https://999.1.1.1/hunter2-pw", "IPv4"),
        ("https://exa_mple-.com/hunter2-pw", "valid host"),
        ("https://", "host"),
    ],
)
def test_a_bad_deployment_url_names_the_setting_and_is_never_echoed(url: str, says: str) -> None:
    for values, env, named in (
        ({"deploymentUrl": url}, {}, "polytomic:deploymentUrl"),
        ({}, {"POLYTOMIC_DEPLOYMENT_URL": url}, "POLYTOMIC_DEPLOYMENT_URL"),
    ):
        with pytest.raises(ConfigurationError) as failure:
            resolve_settings(lookup_from(values), env)
        assert named in str(failure.value) and says in str(failure.value)
        assert "hunter2" not in str(failure.value)
        resolved, problems = check_settings(lookup_from(values), env)
        assert resolved is None
        assert [p.property for p in problems] == ["polytomic:deploymentUrl"]


@pytest.mark.parametrize(
    ("key", "env_name", "raw"),
    [
        ("maxAttempts", "POLYTOMIC_MAX_ATTEMPTS", "inf"),
        ("maxAttempts", "POLYTOMIC_MAX_ATTEMPTS", "nan"),
        ("maxAttempts", "POLYTOMIC_MAX_ATTEMPTS", "2.5"),
        ("maxAttempts", "POLYTOMIC_MAX_ATTEMPTS", "1e9"),
        ("requestTimeout", "POLYTOMIC_REQUEST_TIMEOUT", "-inf"),
        ("requestTimeout", "POLYTOMIC_REQUEST_TIMEOUT", "1e400"),
        ("retryBudget", "POLYTOMIC_RETRY_BUDGET", "0x10"),
    ],
)
def test_numbers_that_are_not_finite_or_in_range_name_their_setting(
    key: str, env_name: str, raw: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"polytomic:{key}"):
        resolve_settings(lookup_from({key: raw}), env={})
    with pytest.raises(ConfigurationError, match=env_name):
        resolve_settings(lookup_from({}), env={env_name: raw})


def test_every_bad_setting_is_reported_at_once() -> None:
    _, problems = check_settings(
        lookup_from({"deploymentUrl": "ftp://x", "maxAttempts": "inf", "apiVersion": "latest"}), env={}
    )
    assert [p.property for p in problems] == [
        "polytomic:deploymentUrl",
        "polytomic:apiVersion",
        "polytomic:maxAttempts",
    ]


def test_a_blank_config_value_does_not_shadow_the_environment() -> None:
    env = {"POLYTOMIC_DEPLOYMENT_URL": "env.example.com", "POLYTOMIC_MAX_ATTEMPTS": "2"}
    resolved = resolve_settings(lookup_from({"deploymentUrl": "   ", "maxAttempts": " \t"}), env)
    assert resolved.deployment_url == "https://env.example.com"
    assert resolved.max_attempts == 2


def test_a_blank_partner_key_does_not_hide_the_api_key() -> None:
    env = {"POLYTOMIC_PARTNER_KEY": "  ", "POLYTOMIC_API_KEY": KEY}
    assert resolve_settings(lookup_from({"partnerKey": " "}), env).partner_key == Secret(KEY)


# -- properties -------------------------------------------------------------------------------------------

URL_SETTING = "polytomic:deploymentUrl"
url_like = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, host, port, rest: f"{scheme}{host}{port}{rest}",
        st.sampled_from(["", "http://", "https://", "HTTPS://", "https:", "javascript:", "ftp://", "//"]),
        st.one_of(
            st.from_regex(r"[a-z0-9.-]{0,20}", fullmatch=True),
            st.sampled_from(
                ["[::1]", "[::1", "127.0.0.1", "999.0.0.1", "user:pw@h.example", "xn--bcher-kva.ch"]
            ),
            st.text(max_size=10),
        ),
        st.sampled_from(["", ":", ":0", ":8080", ":65536", ":x"]),
        st.sampled_from(["", "/", "/base/", "?q=1", "#f", "/p?x#y", "//", "/a b", "/%41"]),
    ),
)


@settings(max_examples=600, deadline=None)
@given(raw=url_like)
def test_any_deployment_url_either_works_with_httpx_or_names_the_setting(raw: str) -> None:
    try:
        url = normalize_url(raw)
    except ConfigurationError as error:
        assert URL_SETTING in str(error)
        return
    parsed = httpx.URL(url)
    assert parsed.scheme in ("http", "https") and parsed.host
    assert not parsed.userinfo and not parsed.query and not parsed.fragment
    with httpx.Client(base_url=url) as client:
        request = client.build_request("GET", "/api/organizations")
    assert request.url.host == parsed.host and request.url.path.endswith("/api/organizations")


@settings(max_examples=200, deadline=None)
@given(
    user=st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True),
    password=st.from_regex(r"[A-Za-z0-9]{8,16}", fullmatch=True),
)
def test_a_url_with_credentials_is_refused_and_the_password_never_shown(user: str, password: str) -> None:
    _, problems = check_settings(
        lookup_from({"deploymentUrl": f"https://{user}:{password}@h.example.com"}), {}
    )
    assert problems and all(password not in p.reason for p in problems)


NUMBER_SETTINGS = [
    ("requestTimeout", "timeout", 0.1, 3600),
    ("maxAttempts", "max_attempts", 1, 100),
    ("retryBudget", "retry_budget", 1, 86400),
]


@settings(max_examples=300, deadline=None)
@given(
    setting=st.sampled_from(NUMBER_SETTINGS),
    raw=st.one_of(
        st.text(max_size=12),
        st.floats().map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.sampled_from(["inf", "-inf", "nan", "NaN", "1e309", "1_000", " 7 ", "0x1", "5.0"]),
    ),
)
def test_any_number_setting_either_parses_within_bounds_or_names_the_setting(
    setting: tuple[str, str, float, float], raw: str
) -> None:
    key, attribute, minimum, maximum = setting
    try:
        resolved = resolve_settings(lookup_from({key: raw}), env={})
    except ConfigurationError as error:
        assert f"polytomic:{key}" in str(error)
        return
    value = getattr(resolved, attribute)
    assert math.isfinite(value) and minimum <= value <= maximum
    if key == "maxAttempts":
        assert isinstance(value, int)


@pytest.mark.parametrize(
    ("name", "closest"),
    [("deploymentURL", "deploymentUrl"), ("PARTNERKEY", "partnerKey"), ("maxAttempt", "maxAttempts")],
)
def test_an_unknown_setting_is_a_problem_naming_the_closest(name: str, closest: str) -> None:
    settings, problems = check_settings(lookup_from({}), env={}, given=[name, "apiVersion"])
    assert settings is None
    (problem,) = problems
    assert problem.property == f"polytomic:{name}"
    assert f"did you mean polytomic:{closest}?" in problem.reason


def test_known_settings_and_engine_keys_are_not_problems() -> None:
    given = ["partnerKey", "deploymentUrl", "apiVersion", "requestTimeout", "maxAttempts", "retryBudget"]
    settings, problems = check_settings(lookup_from({}), env={}, given=given)
    assert problems == [] and settings is not None


@pytest.mark.parametrize(("name", "meant"), [("apiUrl", "deploymentUrl"), ("apiKey", "partnerKey")])
def test_what_other_tools_call_a_setting_points_at_ours(name: str, meant: str) -> None:
    _, (problem,) = check_settings(lookup_from({}), env={}, given=[name])
    assert f"did you mean polytomic:{meant}?" in problem.reason


def test_a_long_unknown_name_is_not_shown_whole() -> None:
    """`pulumi config set --secret polytomic:<the key>`: a key pasted where the name belongs."""
    pasted = "pk_live_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
    _, (problem,) = check_settings(lookup_from({}), env={}, given=[pasted])
    assert pasted not in problem.reason and pasted not in problem.property
    assert "(40 characters)" in problem.reason


# -- #27 point 5: a key in the URL setting, a user name in a URL without a scheme --------------------------


@pytest.mark.parametrize(
    "pasted",
    ["{key}", "https://{key}", "https://{key}/", "{key}.example.com", "https://app.polytomic.com/{key}"],
)
def test_point_5_a_partner_key_pasted_into_the_deployment_url_is_refused_without_echo(pasted: str) -> None:
    key = "pk-live-5b1e0c7d9a4f4e21b3c6"
    url = pasted.format(key=key)
    for values, env in (
        ({"partnerKey": key, "deploymentUrl": url}, {}),
        ({}, {"POLYTOMIC_PARTNER_KEY": key, "POLYTOMIC_DEPLOYMENT_URL": url.upper()}),
    ):
        resolved, problems = check_settings(lookup_from(values), env)
        assert resolved is None
        assert [p.property for p in problems] == ["polytomic:deploymentUrl"]
        assert "partner key" in problems[0].reason and "partnerKey" in problems[0].reason
        assert "5b1e0c7d" not in problems[0].reason.lower()


@pytest.mark.parametrize("host", ["pk_live_5b1e0c7d9a4f4e21b3c6a8d2e0f1", "5b1e0c7d9a4f4e21b3c6a8d2e0f1aa77"])
def test_point_5_a_host_that_is_one_long_label_is_refused_as_a_pasted_key(host: str) -> None:
    """Without the key configured: a key alone in the URL setting is not taken for a host (and printed)."""
    for url in (host, f"https://{host}", f"http://{host}:8080"):
        resolved, problems = check_settings(lookup_from({"deploymentUrl": url}), {})
        assert resolved is None and [p.property for p in problems] == ["polytomic:deploymentUrl"]
        assert "looks like a pasted key" in problems[0].reason and "5b1e0c7d" not in problems[0].reason


def test_point_5_hosts_people_use_are_still_accepted() -> None:
    for url in (
        "http://emulator:8080",
        "http://localhost:1",
        "polytomic-emulator",
        "https://a-long-but-single-label-host-name-ok.",
    ):
        resolved, problems = check_settings(
            lookup_from({"deploymentUrl": url, "partnerKey": "pk-test-abcdefgh"}), {}
        )
        assert problems == [] and resolved is not None, url


@given(
    user=st.from_regex(r"[a-z][a-z0-9]{5,12}", fullmatch=True),
    password=st.from_regex(r"[a-z0-9]{0,12}", fullmatch=True),
)
def test_point_5_a_url_without_a_scheme_never_shows_its_user_part(user: str, password: str) -> None:
    for url in (f"{user}:{password}@h.example.com", f"{user}@h.example.com", f"{user}:{password}@h"):
        _, problems = check_settings(lookup_from({"deploymentUrl": url}), {})
        assert problems, url
        assert all(user not in p.reason for p in problems), (url, problems)
        assert any("user name or password" in p.reason for p in problems), (url, problems)


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:2024/Secr3t@host.example.com",
        "https://admin@host.example.com/path",
        "postgres:pw/x@db",
        "http://u:p/q@h:8080",
    ],
)
def test_point_5_any_at_sign_before_the_query_is_refused_as_credentials(url: str) -> None:
    """#27 F8: a password may hold '/', so '@' anywhere before '?' or '#' means credentials; and no
    scheme is named unless '://' follows it."""
    _, problems = check_settings(lookup_from({"deploymentUrl": url}), {})
    assert [p.property for p in problems] == ["polytomic:deploymentUrl"], url
    assert "user name or password" in problems[0].reason, problems
    assert "Secr3t" not in problems[0].reason and "postgres" not in problems[0].reason


@pytest.mark.parametrize("spell", [str.lower, str.upper])
def test_point_5_a_percent_encoded_partner_key_in_the_url_is_refused(spell: object) -> None:
    """#27 F9: the key percent-encoded (every byte) in the URL is still the key."""
    key = "pk-live-5b1e0c7d9a4f4e21b3c6"
    encoded = "".join(f"%{b:02X}" for b in key.encode())
    url = f"https://app.polytomic.com/{spell(encoded)}"  # type: ignore[operator]
    resolved, problems = check_settings(lookup_from({"partnerKey": key, "deploymentUrl": url}), {})
    assert resolved is None and "partner key" in problems[0].reason
    assert "5b1e0c7d" not in problems[0].reason.lower()


def test_point_5_a_partner_key_percent_encoded_twice_in_the_url_is_refused() -> None:
    """Review #27 hardening finding 12: the URL is unquoted until it no longer changes (a few rounds)."""
    key = "pk-live-5b1e0c7d9a4f4e21b3c6"
    once = "".join(f"%{b:02X}" for b in key.encode())
    url = f"https://app.polytomic.com/{once.replace('%', '%25')}"
    resolved, problems = check_settings(lookup_from({"partnerKey": key, "deploymentUrl": url}), {})
    assert resolved is None and "partner key" in problems[0].reason


@pytest.mark.parametrize("url", ["https://[::1]x", "https://[::1]x:80", "http://[::1]a/path"])
def test_point_5_text_after_the_ipv6_brackets_is_refused(url: str) -> None:
    """Review #27 hardening finding 12: `https://[::1]x` passed."""
    resolved, problems = check_settings(
        lookup_from({"partnerKey": "pk-live-0123456789", "deploymentUrl": url}), {}
    )
    assert resolved is None and "[brackets]" in problems[0].reason, problems


@pytest.mark.parametrize("urlsafe", [False, True])
@pytest.mark.parametrize("prefix", ["", "Bearer ", "x"])
def test_point_5_a_partner_key_in_base64_in_the_url_is_refused(urlsafe: bool, prefix: str) -> None:
    """The URL is kept in the state with each organization's account and printed in messages: the key in
    base64 there (a pasted Basic credential or token) was accepted and stored in clear."""
    key = "pk-live-5b1e0c7d9a4f4e21b3c6"
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    url = f"https://app.polytomic.com/{encode((prefix + key).encode()).decode().rstrip('=')}"
    resolved, problems = check_settings(lookup_from({"partnerKey": key, "deploymentUrl": url}), {})
    assert resolved is None and "partner key" in problems[0].reason
