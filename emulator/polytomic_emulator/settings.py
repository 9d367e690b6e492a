"""Run-time settings of the emulator, and where each one comes from.

Why a separate module: the CLI, `create_app` and the launcher all need the same defaults, and the launcher
must be able to read them without importing Starlette or uvicorn. Precedence for every secret is: explicit
argument (CLI flag) > environment variable > fixed development default. The launcher passes secrets through
the environment so that they never appear in a process listing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_API_VERSION = "2025-09-18"
#: Used only when neither --partner-key nor POLYTOMIC_EMULATOR_PARTNER_KEY is given; printed at start-up then.
DEFAULT_PARTNER_KEY = "polytomic-emulator-dev-partner-key"
DEFAULT_ADMIN_TOKEN = "polytomic-emulator-dev-admin-token"
DEFAULT_OWNER_NAME = "Emulator Partner"
IDEMPOTENCY_TTL_S = 24 * 60 * 60
JOURNAL_CAPACITY = 10_000
JOURNAL_MAX_BYTES = 32 * 1024 * 1024
#: Connection limits (server.py, ConnectionLimits): seconds for a request head, for its body, idle
#: keep-alive; connections on which no request has shown a valid credential yet.
HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
#: Longer than clients' own keep-alive expiry (httpx, the provider's client: 5 s), so that a client always
#: gives an idle connection up first: a server closing it first races the client's next request on it.
IDLE_TIMEOUT_S = 10.0
MAX_UNAUTHENTICATED_CONNECTIONS = 64
#: An unauthenticated connection younger than this is never closed to make room for another: a real client
#: connects, then sends its key, and must not lose the race to a flood of new connections behind it.
UNAUTHENTICATED_GRACE_S = 1.0
#: A request head (request line and headers) longer than this is answered 431 and its connection closed.
MAX_HEAD_BYTES = 64 * 1024
#: Header bytes (names and values) journaled per entry; the rest of its headers is a note of their size.
JOURNAL_MAX_HEADER_BYTES = 16 * 1024
#: Unauthenticated requests whose entries may wait to be written (their answers never wait); beyond this
#: an entry is written at once as a stub of method and status, so the journal's queue stays bounded.
JOURNAL_ANONYMOUS_BACKLOG = 256
#: Client secrets of stored organizations the journal searches every entry for; with more than this in the
#: store, every entry is withheld (``"redacted": "too many secrets ..."``) instead of searched.
JOURNAL_MAX_STORED_SECRETS = 256

ENV_PARTNER_KEY = "POLYTOMIC_EMULATOR_PARTNER_KEY"
ENV_API_KEYS = "POLYTOMIC_EMULATOR_API_KEYS"
ENV_ADMIN_TOKEN = "POLYTOMIC_EMULATOR_ADMIN_TOKEN"


@dataclass(frozen=True)
class EmulatorSettings:
    """Everything `create_app` and the server need; immutable once resolved.

    `repr` hides the three secrets so that a settings object can be logged safely.
    """

    partner_key: str = field(default=DEFAULT_PARTNER_KEY, repr=False)
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    admin_token: str = field(default=DEFAULT_ADMIN_TOKEN, repr=False)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db_path: Path | None = None
    owner_name: str = DEFAULT_OWNER_NAME
    default_api_version: str = DEFAULT_API_VERSION
    idempotency_ttl_s: float = IDEMPOTENCY_TTL_S
    journal_capacity: int = JOURNAL_CAPACITY
    journal_max_bytes: int = JOURNAL_MAX_BYTES
    delete_status: int = 204
    header_timeout_s: float = HEADER_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S
    idle_timeout_s: float = IDLE_TIMEOUT_S
    max_unauthenticated_connections: int = MAX_UNAUTHENTICATED_CONNECTIONS
    unauthenticated_grace_s: float = UNAUTHENTICATED_GRACE_S
    max_head_bytes: int = MAX_HEAD_BYTES
    journal_max_header_bytes: int = JOURNAL_MAX_HEADER_BYTES
    journal_anonymous_backlog: int = JOURNAL_ANONYMOUS_BACKLOG
    journal_max_stored_secrets: int = JOURNAL_MAX_STORED_SECRETS
    fault_seed: int | None = None
    partner_key_is_default: bool = False
    admin_token_is_default: bool = False

    def __post_init__(self) -> None:
        if not self.partner_key:
            raise ValueError("the partner key must not be empty")
        if not self.admin_token:
            raise ValueError("the admin token must not be empty")
        if self.admin_token == self.partner_key or self.admin_token in self.api_keys:
            raise ValueError("the admin token must differ from every API credential")
        if self.partner_key in self.api_keys:
            raise ValueError("an org-scoped API key must differ from the partner key")
        if any(not key for key in self.api_keys):
            raise ValueError("org-scoped API keys must not be empty")
        if self.delete_status not in (200, 204):
            raise ValueError("delete_status must be 200 or 204")
        if min(self.header_timeout_s, self.body_timeout_s, self.idle_timeout_s) <= 0:
            raise ValueError("connection timeouts must be positive")
        if self.max_unauthenticated_connections < 1:
            raise ValueError("max_unauthenticated_connections must be at least 1")
        if self.unauthenticated_grace_s < 0:
            raise ValueError("unauthenticated_grace_s must not be negative")
        if self.max_head_bytes < 1024:
            raise ValueError("max_head_bytes must be at least 1024")
        if self.journal_max_header_bytes < 256:
            raise ValueError("journal_max_header_bytes must be at least 256")
        if self.journal_anonymous_backlog < 0 or self.journal_max_stored_secrets < 0:
            raise ValueError("journal limits must not be negative")

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every credential the server knows; the journal redacts each of them wherever it appears."""
        return (self.partner_key, self.admin_token, *self.api_keys)


def split_api_keys(raw: str | None) -> tuple[str, ...]:
    """Parse the comma-separated POLYTOMIC_EMULATOR_API_KEYS value, ignoring blanks and duplicates."""
    if not raw:
        return ()
    keys = (part.strip() for part in raw.split(","))
    return tuple(dict.fromkeys(key for key in keys if key))


def resolve_settings(
    *,
    partner_key: str | None = None,
    api_keys: Sequence[str] | None = None,
    admin_token: str | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: object,
) -> EmulatorSettings:
    """Combine explicit values, the environment and the defaults into one `EmulatorSettings`."""
    env = os.environ if environ is None else environ
    key = partner_key or env.get(ENV_PARTNER_KEY) or None
    token = admin_token or env.get(ENV_ADMIN_TOKEN) or None
    keys = tuple(dict.fromkeys(api_keys)) if api_keys else split_api_keys(env.get(ENV_API_KEYS))
    return EmulatorSettings(
        partner_key=key or DEFAULT_PARTNER_KEY,
        api_keys=keys,
        admin_token=token or DEFAULT_ADMIN_TOKEN,
        partner_key_is_default=key is None,
        admin_token_is_default=token is None,
        **overrides,  # type: ignore[arg-type]
    )
