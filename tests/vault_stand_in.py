"""A loopback stand-in for the one service of HashiCorp Vault the Pulumi CLI uses when a stack's secrets
provider is `hashivault://<key>`: the transit engine wrapping and unwrapping the stack's data key.

Why the end-to-end stacks use it: the passphrase provider derives its key with 1,000,000 rounds of PBKDF2 in
every CLI command (0.15 to 0.35 s of CPU on the 2-core machine), and the suite runs about 600 commands. With
`hashivault://` each command instead asks Vault once to unwrap the data key, over loopback.

The stand-in wraps by base64 alone: it protects nothing, and need not, since the data key encrypts only the
tests' throwaway secrets. What the tests check is the engine's own work, unchanged: every secret of config
and state is AES-256-GCM ciphertext under that data key, and never plain text in state or output. The
passphrase provider stays covered where users meet it: the examples, the demo, the golden stacks and the
installed wheel's program.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from tests.local_server import Answer, Received, local_server

#: The secrets provider of the suite's stacks (`pulumi stack init --secrets-provider`).
SECRETS_PROVIDER = "hashivault://polytomic-e2e"
TOKEN = "e2e-vault-token"
_KEY_PATH = "/polytomic-e2e"
_WRAPPED = "vault:v1:"


def answer(request: Received) -> Answer:
    """Vault's answers to the transit engine's `encrypt` and `decrypt` of the suite's key; anything else
    is refused the way Vault refuses it, so a CLI that asks for more fails loudly."""
    if request.headers.get("X-Vault-Token") != TOKEN:
        return 403, {"errors": ["permission denied"]}
    if request.method not in ("PUT", "POST"):
        return 405, {"errors": [f"the stand-in serves only PUT, not {request.method}"]}
    body = json.loads(request.body or b"{}")
    if request.path == "/v1/transit/encrypt" + _KEY_PATH:
        return 200, {"data": {"ciphertext": _WRAPPED + body["plaintext"]}}
    if request.path == "/v1/transit/decrypt" + _KEY_PATH:
        ciphertext = str(body.get("ciphertext", ""))
        if not ciphertext.startswith(_WRAPPED):
            return 400, {"errors": ["invalid ciphertext: no prefix"]}
        return 200, {"data": {"plaintext": ciphertext.removeprefix(_WRAPPED)}}
    return 404, {"errors": [f"no handler for route {request.path!r}"]}


@contextmanager
def vault_stand_in() -> Iterator[dict[str, str]]:
    """Serve the stand-in on loopback; yields the environment that points the CLI at it. The variables that
    would win over VAULT_ADDR and VAULT_TOKEN, or send the CLI elsewhere, are emptied (the Vault client and
    Pulumi ignore an empty one): a developer's or a CI's own Vault settings must not reach a real Vault."""
    with local_server(answer) as (url, _):
        yield {
            "VAULT_ADDR": url,
            "VAULT_TOKEN": TOKEN,
            "VAULT_SERVER_URL": "",
            "VAULT_SERVER_TOKEN": "",
            "VAULT_NAMESPACE": "",
            "VAULT_HEADERS": "",
            "PULUMI_CLOUD_SECRET_OVERRIDE": "",
        }
