"""One rejected input, of any kind: the shape every layer reports problems in, from the models and the
settings through the core to the front ends, which turn it into their engine's check failure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """`property` is what the user wrote: a resource property as the front end spells it, a stack config
    key (`polytomic:deploymentUrl`), or empty for the resource as a whole; `reason` is the whole sentence
    to show, naming the property and the fix."""

    property: str
    reason: str

    def __str__(self) -> str:
        return self.reason
