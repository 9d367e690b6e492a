"""What is benchmarked: the stack kinds (a program plus its config and environment) and the CLI commands
run on each, shared by the runs, the profile and the report."""

from __future__ import annotations

from dataclasses import dataclass

COMMANDS = ("up", "preview", "preview --refresh", "up --refresh", "refresh", "destroy")
USER_COMMANDS = ("up", "refresh", "destroy")  # the users rows (bench/run.py --users): create, refresh, delete
SCALE_COMMANDS = ("preview of creates", *COMMANDS)  # bench/scale.py: the first preview plans N creates
CLI_ARGS = {
    "preview of creates": ["preview"],
    "up": ["up", "--yes", "--skip-preview"],
    "preview": ["preview", "--expect-no-changes"],
    # The nightly drift check of examples/ci: the refresh reads every organization (one list call).
    "preview --refresh": ["preview", "--refresh", "--expect-no-changes"],
    "up --refresh": ["up", "--yes", "--skip-preview", "--refresh", "--expect-no-changes"],
    "refresh": ["refresh", "--yes"],
    "destroy": ["destroy", "--yes"],
}
PARALLEL = 8
"""The engine's `--parallel`, passed to every command: the CLI's default on the 2-core reference machine
(four per CPU), pinned so that a machine with more cores measures the same thing."""

# Engine operations of a command that call the API, one after the other: `refresh --yes` previews the
# refresh (reading every resource) and then refreshes (reading them again), each in a provider process of
# its own; the other commands' previews (destroy's) make no API call.
API_PHASES = {
    "preview of creates": 1,
    "up": 1,
    "preview": 1,
    "preview --refresh": 1,
    "up --refresh": 1,
    "refresh": 2,
    "destroy": 1,
}


def cli_args(command: str, parallel: int = PARALLEL) -> list[str]:
    """The CLI arguments of one benchmarked command, with the engine's parallelism made explicit."""
    return [*CLI_ARGS[command], "--parallel", str(parallel)]


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
"""The dynamic provider: its host serves at most 4 calls at once, whatever the engine's --parallel."""
PLUGIN = Variant("plugin", "plugin-organizations", True)
"""The provider plugin `pulumi-resource-polytomic`: serves as many calls at once as the engine sends."""
NOOP = Variant("noop", "noop", False, floor="")
"""The engine's floor, which every measured kind is compared with."""
MEASURED = (PROVIDER, PLUGIN)  # the kinds of the main table, each row beside the no-op floor
KINDS = {variant.name: variant for variant in (*MEASURED, NOOP)}  # bench/run.py --kinds
SKIP_CHECKPOINTS = (("PULUMI_SKIP_CHECKPOINTS", "1"),)
EXPERIMENTS = (
    NOOP,
    PROVIDER,
    Variant("light program", "variants", True, config=(("variant", "light"),)),
    Variant("noop, skip checkpoints", "noop", False, floor="", env=SKIP_CHECKPOINTS),
    Variant(
        "provider, skip checkpoints", "organizations", True, "noop, skip checkpoints", env=SKIP_CHECKPOINTS
    ),
)

USER_ORGANIZATIONS = 4
"""The organizations the users rows spread their users over (round robin)."""
USERS = (
    Variant("provider", "users", True, config=(("orgs", str(USER_ORGANIZATIONS)),)),
    Variant("plugin", "plugin-users", True, config=(("orgs", str(USER_ORGANIZATIONS)),)),
    # The floor: as many no-op resources as the users and their organizations.
    Variant("noop", "noop", False, floor="", config=(("extra", str(USER_ORGANIZATIONS)),)),
)
"""The users rows: N users of the dynamic provider and of the plugin (with their organizations), each
beside the no-op floor; named as the main table's kinds so that bench/report.py renders them alike."""
