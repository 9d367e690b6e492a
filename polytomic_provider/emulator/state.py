"""The state one emulator app shares between its routes and its request pipeline.

Why a module of its own: the public routes, the control routes and the pipeline all need the same store,
journal and fault plan, and each lives in its own module; holding them in one object passed to each (rather
than module-level globals) lets several apps, with their own databases, run in one process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .faults import FaultInjector
from .journal import Journal
from .settings import EmulatorSettings
from .store import Store


@dataclass
class Emulator:
    """Everything the routes share; one per app, no module-level state."""

    settings: EmulatorSettings
    store: Store
    journal: Journal
    faults: FaultInjector
    clock: Callable[[], float]
    owner_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.owner_id = self.store.owner_id
