"""Values and helpers shared by the test suites."""

from __future__ import annotations

import secrets

# Distinctive per-run values, so that searching an artefact for them finds real leaks and nothing else.
PARTNER_KEY = f"pk-test-{secrets.token_hex(12)}"
API_KEY = f"ak-test-{secrets.token_hex(12)}"
CLIENT_SECRET = f"cs-test-{secrets.token_hex(12)}"
ADMIN_TOKEN = f"admin-test-{secrets.token_hex(8)}"
