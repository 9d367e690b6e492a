"""What is benchmarked: the stack kinds (a program plus its config and environment) and the CLI commands
run on each, shared by the runs, the profile and the report."""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS = ("up", "preview", "refresh", "destroy")
CLI_ARGS = {
    "up": ["up", "--yes", "--skip-preview"],
    "preview": ["preview", "--expect-no-changes"],
    "refresh": ["refresh", "--yes"],
    "destroy": ["destroy", "--yes"],
}


@dataclass(frozen=True)
class Variant:
    """One stack kind: a program under bench/programs, plus stack config and environment of its own."""

    name: str
    program: str
    organizations: bool  # declares organizations, so it needs the emulator's URL and key
    floor: str = "noop"  # the variant it is compared with in the experiments table
    config: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


PROVIDER = Variant("provider", "organizations", True)
NOOP = Variant("noop", "noop", False, floor="")
SKIP_CHECKPOINTS = (("PULUMI_SKIP_CHECKPOINTS", "1"),)
EXPERIMENTS = (
    NOOP,
    PROVIDER,
    Variant("light program", "variants", True, config=(("variant", "light"),)),
    Variant("light, no readback", "variants", True, config=(("variant", "light-no-readback"),)),
    Variant("noop, skip checkpoints", "noop", False, floor="", env=SKIP_CHECKPOINTS),
    Variant(
        "provider, skip checkpoints", "organizations", True, "noop, skip checkpoints", env=SKIP_CHECKPOINTS
    ),
    Variant(
        "light, no readback, skip checkpoints",
        "variants",
        True,
        "noop, skip checkpoints",
        config=(("variant", "light-no-readback"),),
        env=SKIP_CHECKPOINTS,
    ),
)
