"""The first read of a provider process sends its list call before it loads the pydantic models, and the
client says when its first request is out (the moment those imports may start).

Why it matters: a refresh starts a fresh provider process (two with `--yes`: its preview, then the refresh),
and the list call is the only round trip of its reads. At 100 ms per call, loading the models after the
call's answer instead of during its flight adds that time to every refresh. The check runs in a fresh
interpreter, where nothing is imported yet, as in a provider process the engine has just started.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider import bridge
from polytomic_provider.client import AsyncPolytomicClient
from polytomic_provider.config import Secret, Settings
from polytomic_provider.errors import TransportError
from polytomic_provider.provider import OrganizationProvider
from polytomic_provider.runtime import RUNTIME
from tests.support import ADMIN_TOKEN, PARTNER_KEY

# An import hook holds the models' loading until the emulator has the list call in its journal (or five
# seconds have passed): the call can only get there first if sending it needs no model. It holds them in
# the loader, not the finder: finders run under the interpreter's global import lock.
FIRST_READ = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, json, os, sys, time

    from polytomic_provider.config import Secret, Settings
    from polytomic_emulator.launcher import EmulatorAdmin
    from polytomic_provider.provider import OrganizationProvider
    from polytomic_provider.runtime import RUNTIME

    admin = EmulatorAdmin(os.environ["EMULATOR_URL"], os.environ["EMULATOR_ADMIN_TOKEN"])
    seen = {}

    def listed():
        return any(e["path"] == "/api/organizations" for e in admin.journal())

    class HeldLoader(importlib.abc.Loader):
        def __init__(self, inner):
            self.inner = inner

        def create_module(self, spec):
            return self.inner.create_module(spec)

        def exec_module(self, module):
            seen["pydantic_loaded"] = "pydantic" in sys.modules
            deadline = time.monotonic() + 5
            while not listed() and time.monotonic() < deadline:
                time.sleep(0.02)
            seen["list_sent_first"] = listed()
            self.inner.exec_module(module)

    class HoldTheModels(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "polytomic_provider.models":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            spec.loader = HeldLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, HoldTheModels())
    RUNTIME.configure(
        Settings(partner_key=Secret(os.environ["PARTNER_KEY"]), deployment_url=os.environ["EMULATOR_URL"])
    )
    props = {"name": "?", "client_id": None, "client_secret": None}
    result = OrganizationProvider().read(os.environ["ORGANIZATION_ID"], props)
    print(json.dumps({**seen, "name": (result.outs or {}).get("name")}))
    """
)


def test_the_first_read_sends_its_list_call_while_the_models_load(
    emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    created = partner_api.post("/api/organizations", json={"name": "Listed"})
    created.raise_for_status()
    emulator.admin.clear_journal()
    environment = {
        **os.environ,
        "EMULATOR_URL": emulator.url,
        "EMULATOR_ADMIN_TOKEN": ADMIN_TOKEN,
        "PARTNER_KEY": PARTNER_KEY,
        "ORGANIZATION_ID": str(created.json()["data"]["id"]),
    }
    run = subprocess.run(
        [sys.executable, "-c", FIRST_READ], env=environment, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen == {"pydantic_loaded": False, "list_sent_first": True, "name": "Listed"}
    # The list and the account lookup (one per process: accounts.py), both sent before the models loaded.
    # On a loaded machine the models may take longer to load than a list may serve reads (5 s): then the
    # read lists once more, which is the snapshot's rule, not a second first read.
    calls = [(e["method"], e["path"]) for e in emulator.admin.journal()]
    assert set(calls) == {("GET", "/api/organization"), ("GET", "/api/organizations")}
    assert calls.count(("GET", "/api/organization")) == 1


def test_the_first_request_counts_as_out_once_sent_not_once_answered(
    provider: OrganizationProvider, emulator: EmulatorProcess, partner_api: httpx.Client
) -> None:
    emulator.admin.set_faults(latency_ms=1500)  # the answer is 1.5 s away; sending takes milliseconds
    client = AsyncPolytomicClient(RUNTIME.settings)
    assert not client.wait_for_first_request(timeout=0)  # nothing sent yet
    listing = bridge.start(client.list_organizations())
    began = time.monotonic()
    assert client.wait_for_first_request(timeout=5)
    assert time.monotonic() - began < 1.0 and not listing.done()
    listed = [organization.id for organization in listing.result()]
    emulator.admin.clear_faults()
    assert listed == [item["id"] for item in partner_api.get("/api/organizations").json()["data"]]


def test_a_first_request_that_fails_releases_its_waiters() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"  # bound, not listening: connections refused
        settings = Settings(partner_key=Secret("pk-x"), deployment_url=url, max_attempts=1)
        client = AsyncPolytomicClient(settings)
        assert not client.wait_for_first_request(timeout=0)
        with pytest.raises(TransportError):
            bridge.run(client.list_organizations())
    assert client.wait_for_first_request(timeout=0)
