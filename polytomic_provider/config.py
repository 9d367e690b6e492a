"""Provider settings: Pulumi stack config first, then environment variables, then defaults.

The same resolution serves the provider process (config arrives through `configure()`) and the Pulumi
program (lookups read `pulumi.Config("polytomic")`), so both talk to the same deployment with the same key.

Every value is checked here, before any request: a bad one becomes a `Problem` that names the
setting, where the value came from and the fix, and never repeats the value (a key pasted into the wrong
variable, or a URL with a password in it, must not reach a log). A blank value counts as unset.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from .errors import ConfigurationError
from .problems import Problem
from .scrub import Scrubber

__all__ = [
    "CONFIG_NAMESPACE",
    "DEFAULT_API_VERSION",
    "DEFAULT_DEPLOYMENT_URL",
    "ENV_API_KEY",
    "ENV_API_VERSION",
    "ENV_DEPLOYMENT_URL",
    "ENV_PARTNER_KEY",
    "MISSING_KEY",
    "SETTINGS",
    "SETTING_DOCS",
    "Secret",
    "SettingDoc",
    "Settings",
    "check_settings",
    "deployment_url_problem",
    "normalize_url",
    "resolve_settings",
    "unknown_settings",
]

CONFIG_NAMESPACE = "polytomic"
DEFAULT_DEPLOYMENT_URL = "https://app.polytomic.com"
DEFAULT_API_VERSION = "2025-09-18"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_RETRY_BUDGET_SECONDS = 60.0

# The Terraform provider's names, so one CI secret serves both tools.
ENV_PARTNER_KEY = "POLYTOMIC_PARTNER_KEY"
ENV_API_KEY = "POLYTOMIC_API_KEY"
ENV_DEPLOYMENT_URL = "POLYTOMIC_DEPLOYMENT_URL"
ENV_API_VERSION = "POLYTOMIC_API_VERSION"
ENV_TIMEOUT = "POLYTOMIC_REQUEST_TIMEOUT"
ENV_MAX_ATTEMPTS = "POLYTOMIC_MAX_ATTEMPTS"
ENV_RETRY_BUDGET = "POLYTOMIC_RETRY_BUDGET"


@dataclass(frozen=True)
class SettingDoc:
    """One setting as users meet it: its type, its environment variables (first found wins), its default
    and what it is. The plugin's schema and the docs are written from these."""

    key: str
    type: str
    summary: str
    env: tuple[str, ...]
    default: str | None
    secret: bool = False

    @property
    def description(self) -> str:
        variables = ", then ".join(self.env)
        default = f"the default is {self.default}" if self.default is not None else "there is no default"
        plural = "variables are" if len(self.env) > 1 else "variable is"
        return f"{self.summary} When unset, the {variables} environment {plural} used; {default}."


SETTING_DOCS = (
    SettingDoc(
        "partnerKey",
        "string",
        "The Polytomic partner key organizations are managed with: one line of printable ASCII.",
        (ENV_PARTNER_KEY, ENV_API_KEY),
        None,
        secret=True,
    ),
    SettingDoc(
        "deploymentUrl",
        "string",
        "Base URL of the Polytomic deployment, http:// or https:// (https:// is added when no scheme is "
        "given).",
        (ENV_DEPLOYMENT_URL,),
        DEFAULT_DEPLOYMENT_URL,
    ),
    SettingDoc(
        "apiVersion",
        "string",
        "API version sent as X-Polytomic-Version on every request (YYYY-MM-DD).",
        (ENV_API_VERSION,),
        DEFAULT_API_VERSION,
    ),
    SettingDoc(
        "requestTimeout",
        "number",
        "Seconds per HTTP request, 0.1 to 3600.",
        (ENV_TIMEOUT,),
        f"{DEFAULT_TIMEOUT_SECONDS:g}",
    ),
    SettingDoc(
        "maxAttempts",
        "integer",
        "Attempts per API call, the first one included: a whole number, 1 to 100.",
        (ENV_MAX_ATTEMPTS,),
        f"{DEFAULT_MAX_ATTEMPTS}",
    ),
    SettingDoc(
        "retryBudget",
        "number",
        "Seconds, 1 to 86400, after which no new attempt of an API call starts.",
        (ENV_RETRY_BUDGET,),
        f"{DEFAULT_RETRY_BUDGET_SECONDS:g}",
    ),
)
# Every setting of the provider, as stack config (`polytomic:<name>`) and provider inputs spell them.
SETTINGS = tuple(doc.key for doc in SETTING_DOCS)

_API_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII only: \d takes full-width digits too
# Characters RFC 3986 allows in a URL; anything else (spaces, quotes, non-ASCII) is refused, not guessed at.
_URL_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# A scheme without "//" (javascript:x, or https:host mistyped), but not a host with a port (host:8080).
_BARE_SCHEME = re.compile(r"(?i:https?:)|[A-Za-z][A-Za-z0-9+.-]*:(?![0-9]*(?:/|$))")
#: Schemes named back when refused: well-known ones only, since `user:password@host` also starts with what
#: reads as a scheme (the user name).
_SHOWN_SCHEMES = frozenset(
    [
        "data",
        "file",
        "ftp",
        "ftps",
        "git",
        "grpc",
        "grpcs",
        "javascript",
        "mailto",
        "mysql",
        "postgres",
        "postgresql",
        "redis",
        "s3",
        "sftp",
        "ssh",
        "tcp",
        "udp",
        "unix",
        "ws",
        "wss",
    ]
)
_CREDENTIALS_IN_URL = (
    "must not contain a user name or password (user:password@): the API is called with the partner key "
    f"only, so set that in {CONFIG_NAMESPACE}:partnerKey or {ENV_PARTNER_KEY}"
)
#: A partner key is at least this long; a shorter value is not searched for in the URL.
_SHORTEST_KEY = 8
#: A host name of one label this long (no dot) is a pasted key or token rather than a host.
_LONGEST_SINGLE_LABEL = 32
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")  # what an HTTP header can carry unchanged

ConfigLookup = Callable[[str], "str | None"]


class Secret:
    """A string that never shows itself in repr, str or tracebacks; `reveal()` at the point of use."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("a Secret is never pickled: it would end up in Pulumi state")


MISSING_KEY = Problem(
    f"{CONFIG_NAMESPACE}:partnerKey",
    f"no Polytomic partner key is configured: run "
    f"'pulumi config set --secret {CONFIG_NAMESPACE}:partnerKey <key>' "
    f"or set the {ENV_PARTNER_KEY} environment variable",
)


@dataclass(frozen=True)
class Settings:
    """Everything the client needs to reach one Polytomic deployment."""

    partner_key: Secret | None
    deployment_url: str = DEFAULT_DEPLOYMENT_URL
    api_version: str = DEFAULT_API_VERSION
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    retry_budget: float = DEFAULT_RETRY_BUDGET_SECONDS

    def require_key(self) -> Secret:
        """The partner key, or an error that says exactly where to set it (or why it cannot be sent)."""
        if self.partner_key is None:
            raise ConfigurationError(MISSING_KEY.reason)
        problem = _key_problem(self.partner_key.reveal())
        if problem:
            raise ConfigurationError(f"the partner key {problem}")
        return self.partner_key


def deployment_url_problem(raw: str, *, secrets: Iterable[str] = ()) -> str | None:
    """Why `raw` cannot serve as the deployment URL (a phrase to follow the setting's name), or None.

    The phrase never contains the value: a URL with a user name and password in it must not be echoed, nor
    a key pasted into the wrong setting. `secrets` are values the URL must not hold (the partner key): a
    URL is printed in messages and recorded in the state as part of each organization's account.
    """
    # The key percent-encoded (any byte, either case of hex) is the key too (#27 F9).
    # Unquoted until it no longer changes, a few rounds: a key percent-encoded twice is the key too.
    spellings = {raw.lower()}
    spelled = raw
    for _ in range(4):
        spelled, before = unquote(spelled), spelled
        spellings.add(spelled.lower())
        if spelled == before:
            break
    long_enough = [s for s in secrets if len(s) >= _SHORTEST_KEY]
    # Any form the scrubber knows too (base64 at any alignment: a pasted Basic credential or token).
    if any(s.lower() in spelled for s in long_enough for spelled in spellings) or (
        long_enough and Scrubber(long_enough)(raw) != raw
    ):
        return (
            f"holds the partner key: put the key in {CONFIG_NAMESPACE}:partnerKey (or {ENV_PARTNER_KEY}) "
            f"and the deployment's base URL here, such as {DEFAULT_DEPLOYMENT_URL}"
        )
    url = _with_scheme(raw.strip())
    if not _URL_CHARACTERS.fullmatch(url):
        return (
            "must be a URL without spaces, quotes or non-ASCII characters (write an international host "
            f"name in its xn-- form), such as {DEFAULT_DEPLOYMENT_URL}"
        )
    # user:password@host, with a scheme or without; a password may hold '/', so any '@' before the query
    # or fragment counts (#27 F8).
    if "@" in re.split(r"[?#]", url, maxsplit=1)[0]:
        return _CREDENTIALS_IN_URL
    scheme = url.split(":", 1)[0]
    if scheme.lower() not in ("http", "https") or not url[len(scheme) :].startswith("://"):
        named = scheme.lower() in _SHOWN_SCHEMES and url[len(scheme) :].startswith("://")
        shown = f" (not {scheme!r})" if named else ""
        return f"must be an http:// or https:// URL{shown}, such as {DEFAULT_DEPLOYMENT_URL}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return (
            f"is not a valid URL (check the host, its port and any [brackets]), e.g. {DEFAULT_DEPLOYMENT_URL}"
        )
    if "@" in parts.netloc:
        return _CREDENTIALS_IN_URL
    if "?" in url or "#" in url:
        return "must not contain a query (?...) or a fragment (#...): give the deployment's base URL only"
    if port == 0:
        return "has port 0: give the deployment's real port (1-65535), or none for the default"
    return _host_problem(parts)


def _with_scheme(url: str) -> str:
    """`https://` in front of a bare host, as the Terraform provider does; `javascript:x` stays as it is."""
    if "://" in url or _BARE_SCHEME.match(url):
        return url
    return f"https://{url}"


def _host_problem(parts: SplitResult) -> str | None:
    host = parts.hostname or ""
    example = f"such as {DEFAULT_DEPLOYMENT_URL}"
    if not host:
        return f"must name a host, {example}"
    if parts.netloc.startswith("["):
        if not re.fullmatch(r"\[[^\]]*\](:[0-9]*)?", parts.netloc):  # `[::1]x` passed (#27 hardening 12)
            return "is not a valid URL: nothing may follow the [brackets] of an IPv6 host but a :port"
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has an invalid IPv6 address between [brackets]"
        return None
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return "has an invalid IPv4 address"
        return None
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        return f"must name a valid host (letters, digits, hyphens, dots), {example}"
    if len(labels) == 1 and not host.endswith(".") and len(host) >= _LONGEST_SINGLE_LABEL:
        return (
            f"names a host of {len(host)} characters without a dot, which looks like a pasted key or token, "
            f"not a host name: give the deployment's base URL, {example} (a single-label host name that "
            "really is one can be written with a trailing dot)"
        )
    return None


def normalize_url(raw: str) -> str:
    """Add https:// when no scheme is given and drop trailing slashes; refuse anything else than a plain
    http(s) base URL (no user name or password, query or fragment), without echoing it."""
    problem = deployment_url_problem(raw)
    if problem:
        raise ConfigurationError(f"{CONFIG_NAMESPACE}:deploymentUrl ({ENV_DEPLOYMENT_URL}) {problem}")
    return _with_scheme(raw.strip()).rstrip("/")


def _key_problem(key: str) -> str | None:
    if _KEY_CHARACTERS.fullmatch(key):
        return None
    return (
        "contains a space, a line break, a control or a non-ASCII character, which an HTTP header "
        "cannot carry: copy the key again, as one line"
    )


@dataclass(frozen=True)
class _Number:
    """A numeric setting and its allowed range."""

    key: str
    env: str
    default: float
    minimum: float
    maximum: float
    whole: bool = False
    unit: str = ""

    def parse(self, raw: str, label: str) -> float | Problem:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        in_range = math.isfinite(value) and self.minimum <= value <= self.maximum
        if in_range and (not self.whole or value.is_integer()):
            return value
        kind = "a whole number" if self.whole else "a number"
        got = f"got {value:g}" if math.isfinite(value) else "got a value that is not a finite number"
        return Problem(
            f"{CONFIG_NAMESPACE}:{self.key}",
            f"{label} must be {kind}{self.unit} from {self.minimum:g} to {self.maximum:g}, {got}",
        )


_TIMEOUT = _Number("requestTimeout", ENV_TIMEOUT, DEFAULT_TIMEOUT_SECONDS, 0.1, 3600, unit=" of seconds")
_MAX_ATTEMPTS = _Number("maxAttempts", ENV_MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS, 1, 100, whole=True)
_RETRY_BUDGET = _Number(
    "retryBudget", ENV_RETRY_BUDGET, DEFAULT_RETRY_BUDGET_SECONDS, 1, 86400, unit=" of seconds"
)


def check_settings(
    lookup: ConfigLookup, env: Mapping[str, str] | None = None, *, given: Iterable[str] = ()
) -> tuple[Settings | None, list[Problem]]:
    """Settings from a config lookup (key without namespace) and the environment, or None and every
    problem found, each naming its setting; nothing is sent anywhere. `given` are the names the user set
    (the stack's `polytomic:*` keys, a provider's inputs): one that is not a setting is a problem too."""
    environ = os.environ if env is None else env
    problems: list[Problem] = unknown_settings(given)

    def pick(key: str, *env_names: str) -> tuple[str, str] | None:
        """The first non-blank value, and a label saying where it came from."""
        setting = f"{CONFIG_NAMESPACE}:{key}"
        value = lookup(key)
        if value is not None and str(value).strip():
            return str(value).strip(), setting
        for name in env_names:
            if environ.get(name, "").strip():
                return environ[name].strip(), f"{name} (used for {setting})"
        return None

    def number(spec: _Number) -> float:
        found = pick(spec.key, spec.env)
        if found is None:
            return spec.default
        parsed = spec.parse(*found)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            return spec.default
        return parsed

    key = pick("partnerKey", ENV_PARTNER_KEY, ENV_API_KEY)
    if key is not None and _key_problem(key[0]):
        problems.append(Problem(f"{CONFIG_NAMESPACE}:partnerKey", f"{key[1]} {_key_problem(key[0])}"))
    url = pick("deploymentUrl", ENV_DEPLOYMENT_URL) or (DEFAULT_DEPLOYMENT_URL, "the default URL")
    url_problem = deployment_url_problem(url[0], secrets=[key[0]] if key else [])
    if url_problem:
        problems.append(Problem(f"{CONFIG_NAMESPACE}:deploymentUrl", f"{url[1]} {url_problem}"))
    version = pick("apiVersion", ENV_API_VERSION) or (DEFAULT_API_VERSION, "the default")
    if not _API_VERSION.fullmatch(version[0]):
        problems.append(
            Problem(
                f"{CONFIG_NAMESPACE}:apiVersion",
                f"{version[1]} must be an API version date like {DEFAULT_API_VERSION}",
            )
        )
    timeout, attempts, budget = number(_TIMEOUT), number(_MAX_ATTEMPTS), number(_RETRY_BUDGET)
    if problems:
        return None, problems
    settings = Settings(
        partner_key=Secret(key[0]) if key else None,
        deployment_url=normalize_url(url[0]),
        api_version=version[0],
        timeout=timeout,
        max_attempts=int(attempts),
        retry_budget=budget,
    )
    return settings, []


def unknown_settings(names: Iterable[str], *, allowed: Iterable[str] = ()) -> list[Problem]:
    """A problem for each name given that is not a setting (nor `allowed`), naming the closest one.

    A misspelt setting must not be ignored: `polytomic:deploymentURL` would leave the URL at its default and
    send the partner key to production. Only names are shown, never a value."""
    known = {*SETTINGS, *allowed}
    problems = []
    for name in names:
        if name in known:
            continue
        folded = _folded(name)
        same_but_case = [setting for setting in SETTINGS if _folded(setting) == folded]
        alias = [_ALIASES[folded]] if folded in _ALIASES else []
        closest = same_but_case or alias or difflib.get_close_matches(name, SETTINGS, n=1, cutoff=0.5)
        hint = f"did you mean {CONFIG_NAMESPACE}:{closest[0]}? " if closest else ""
        shown = f"{CONFIG_NAMESPACE}:{_shown_name(name)}"
        problems.append(
            Problem(
                shown,
                f"{shown} is not a setting of the Polytomic provider: {hint}(settings: "
                f"{', '.join(SETTINGS)}; names are case-sensitive)",
            )
        )
    return problems


# What other tools call the settings, folded: the Terraform provider's and common guesses.
_ALIASES = {
    **{alias: "deploymentUrl" for alias in ("url", "apiurl", "baseurl", "endpoint", "host", "deployment")},
    **{alias: "partnerKey" for alias in ("apikey", "key", "token", "partnertoken", "deploymentkey")},
    "version": "apiVersion",
    "timeout": "requestTimeout",
    "retries": "maxAttempts",
}


def _folded(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


def _shown_name(name: str) -> str:
    """A name as a message may show it: a long one may be a key pasted where a name belongs."""
    return name if len(name) <= 24 else f"{name[:4]}... ({len(name)} characters)"


def resolve_settings(lookup: ConfigLookup, env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from a config lookup (key without namespace) and the environment, or raise a
    ConfigurationError naming every bad setting. A missing key is not an error here (see require_key)."""
    settings, problems = check_settings(lookup, env)
    if settings is None:
        raise ConfigurationError("; ".join(problem.reason for problem in problems))
    return settings
