"""Values and helpers shared by the test suites."""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import unquote

from polytomic_provider.config import Secret, Settings
from polytomic_provider.runtime import RUNTIME

# Distinctive per-run values, so that searching an artefact for them finds real leaks and nothing else.
PARTNER_KEY = f"pk-test-{secrets.token_hex(12)}"
API_KEY = f"ak-test-{secrets.token_hex(12)}"
SECOND_PARTNER_KEY = f"pk-second-{secrets.token_hex(12)}"  # partner account B's (a second emulator)
CLIENT_SECRET = f"cs-test-{secrets.token_hex(12)}"
ADMIN_TOKEN = f"admin-test-{secrets.token_hex(8)}"


def configure(url: str, key: str | None = PARTNER_KEY) -> None:
    """Point the process-wide provider runtime at `url` (a new client, so a new read snapshot), for a new
    operation (nothing an earlier test claimed is remembered)."""
    RUNTIME.new_operation()
    RUNTIME.configure(
        Settings(
            partner_key=Secret(key) if key else None, deployment_url=url, max_attempts=3, retry_budget=20
        )
    )


def account_of(emulator_url: str, organizations: list[dict[str, object]]) -> str:
    """The account an emulator is, as the provider records it (`organizations`: its admin listing)."""
    owner = next(o for o in organizations if o["is_owner"])
    return f"{emulator_url.rstrip('/')}#owner={owner['id']}"


def base64_readable(text: str) -> bytes:
    """What a reader recovers by base64-decoding each run of base64 characters in `text` (percent-decoded
    first, either alphabet), at each of the four offsets, as one tries on a run whose start is unknown."""
    found = []
    for run in re.findall(r"[A-Za-z0-9+/]+", unquote(text).translate(str.maketrans("-_", "+/"))):
        for offset in range(4):
            part = run[offset:]
            part = part[:-1] if len(part) % 4 == 1 else part  # a lone last character holds no byte
            found.append(base64.b64decode(part + "=" * (-len(part) % 4)))
    return b"|".join(found)
