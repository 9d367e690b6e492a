"""Test program: one no-op dynamic resource, to prove the engine, language host and provider host work."""

import pulumi

from tests.e2e.noop import NoopResource

resource = NoopResource("noop", {"value": pulumi.Config().get("value") or "one"})
pulumi.export("value", resource.value)  # type: ignore[attr-defined]
