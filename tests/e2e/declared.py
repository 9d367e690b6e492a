"""What the `organizations` test programs declare, read from stack config once for both front ends.

The stack config `organizations` is a JSON list: OrganizationArgs fields plus `resource` (the Pulumi
name) and optionally the resource options `retain`, `replace_on_changes`, `ignore_changes`,
`delete_before_replace` and `import`. A client secret comes from the secret config key
`clientSecret-<resource>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi


@dataclass(frozen=True)
class Declared:
    resource: str
    fields: dict[str, Any]
    options: pulumi.ResourceOptions
    client_secret: pulumi.Output[str] | None


def declared_organizations(config: pulumi.Config) -> Iterator[Declared]:
    for item in config.get_object("organizations") or []:
        spec = dict(item)
        resource = spec.pop("resource")
        options = pulumi.ResourceOptions(
            retain_on_delete=bool(spec.pop("retain", False)),
            replace_on_changes=spec.pop("replace_on_changes", None),
            ignore_changes=spec.pop("ignore_changes", None),
            delete_before_replace=spec.pop("delete_before_replace", None),
            import_=spec.pop("import", None),
        )
        yield Declared(resource, spec, options, config.get_secret(f"clientSecret-{resource}"))
