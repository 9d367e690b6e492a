"""The network's floor: each command's API calls made directly with httpx, without Pulumi in the way.

The floor of a read is one list call (reads are served from one list, see polytomic_provider/snapshot.py);
that of a create or a delete is one call per organization.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.session import PARTNER_KEY

API_VERSION = "2025-09-18"
RAW_METHOD = {
    "up": "POST",
    "preview": None,
    "preview --refresh": "LIST",
    "up --refresh": "LIST",
    "refresh": "LIST",
    "destroy": "DELETE",
}
RAW_THREADS = 4


def api_client(url: str) -> httpx.Client:
    """A keep-alive client with the partner key, with room for every thread of the threaded runs."""
    headers = {"Authorization": f"Bearer {PARTNER_KEY}", "X-Polytomic-Version": API_VERSION}
    limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
    return httpx.Client(base_url=url, headers=headers, timeout=30.0, limits=limits)


class RawClient:
    """The API work of each command, done directly: one keep-alive client, serially or over threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: dict[str, list[str]] = {"serial": [], "threads": []}

    @staticmethod
    def lists(command: str) -> bool:
        """Whether the command's raw work is the one list call (cheap at any latency)."""
        return RAW_METHOD[command] == "LIST"

    def run(self, command: str, size: int, prefix: str, mode: str) -> float:
        method = RAW_METHOD[command]
        if method is None:
            return 0.0
        began = time.perf_counter()
        with api_client(self.url) as client:
            if method == "LIST":
                client.get("/api/organizations").raise_for_status()
            elif method == "POST":
                names = [f"{prefix}-{mode}-{i}" for i in range(size)]

                def one(name: str) -> str:
                    response = client.post(
                        "/api/organizations",
                        json={"name": name},
                        headers={"Idempotency-Key": f"bench-{secrets.token_hex(16)}"},
                    )
                    response.raise_for_status()
                    return str(response.json()["data"]["id"])

                self.ids[mode] = self._map(one, names, mode)
            else:

                def call(id_: str) -> str:
                    client.request(method, f"/api/organizations/{id_}").raise_for_status()
                    return id_

                self._map(call, self.ids[mode], mode)
        elapsed = time.perf_counter() - began
        if method == "DELETE":
            self.ids[mode] = []
        return elapsed

    @staticmethod
    def _map(function: Callable[[str], str], items: list[str], mode: str) -> list[str]:
        if mode == "serial":
            return [function(item) for item in items]
        with ThreadPoolExecutor(RAW_THREADS) as pool:
            return list(pool.map(function, items))
