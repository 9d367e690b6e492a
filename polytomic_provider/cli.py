"""`polytomic-pulumi`: command-line tools for moving existing Polytomic organizations under Pulumi.

    POLYTOMIC_PARTNER_KEY=... polytomic-pulumi generate [--deployment-url URL] [--name-filter TEXT]
                                                        [--include-owner] [--retain-on-delete]
                                                        [--output FILE [--force]]

    polytomic-pulumi recover --stack STACK [--cwd DIR] [--cancel] [--dry-run]

`generate` lists the organizations of the partner account and their users, and prints a Pulumi program
(Python) that adopts each of them; its key is read from the environment only (POLYTOMIC_PARTNER_KEY, then
POLYTOMIC_API_KEY), never from the command line, where shell history and process listings would keep it.
Nothing secret is ever printed; the program reads OIDC client ids and secrets from stack config (see
codegen.py).

`recover`, after an interrupted `pulumi up`, imports into the stack the organizations and users its pending
creates provably made (see recovery.py), and names every other one with the way to adopt it. It reads the
key the way the provider does: the stack's config, then the environment. It first repairs what the kill may
have left unreadable in a file:// backend (file_backend.py), and with --cancel removes the killed run's lock.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import file_backend
from .client import PolytomicClient
from .codegen import plan_declarations, render_program, with_users
from .config import (
    CONFIG_NAMESPACE,
    DEFAULT_DEPLOYMENT_URL,
    ENV_API_KEY,
    ENV_DEPLOYMENT_URL,
    ENV_PARTNER_KEY,
    ConfigLookup,
    Settings,
    check_settings,
    deployment_url_problem,
    resolve_settings,
)
from .errors import ApiError, PolytomicError
from .hints import hint_for
from .models import Organization
from .version import __version__

if TYPE_CHECKING:
    from . import recovery
    from .user_models import User

__all__ = ["main"]

PROG = "polytomic-pulumi"


class CommandError(Exception):
    """A failure to report on one line of stderr, with exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Pulumi tools for Polytomic organizations.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    generate = commands.add_parser(
        "generate",
        help="print a Pulumi program that adopts the existing organizations",
        description=(
            "List the organizations of the partner account and print a Python Pulumi program that adopts "
            f"each one (adopt_id), so that 'pulumi up' on it creates nothing. The partner key is read from "
            f"{ENV_PARTNER_KEY} (or {ENV_API_KEY}), never from the command line."
        ),
    )
    generate.add_argument(
        "--deployment-url",
        metavar="URL",
        help=f"Polytomic deployment to read (default: {ENV_DEPLOYMENT_URL}, else {DEFAULT_DEPLOYMENT_URL})",
    )
    generate.add_argument(
        "--name-filter",
        metavar="TEXT",
        help="only organizations whose name contains TEXT (case-insensitive)",
    )
    generate.add_argument(
        "--include-owner",
        action="store_true",
        help="also declare the partner's owner organization (with retain_on_delete, as it cannot be deleted)",
    )
    generate.add_argument(
        "--retain-on-delete",
        action="store_true",
        help="declare every organization with retain_on_delete=True: 'pulumi destroy' then only forgets them",
    )
    generate.add_argument("--output", "-o", metavar="FILE", type=Path, help="write the program to FILE")
    generate.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    recover = commands.add_parser(
        "recover",
        help="after an interrupted 'pulumi up', import the organizations and users it provably created",
        description=(
            "Read the stack's pending creates (left by a killed or interrupted 'pulumi up'), ask Polytomic "
            "to replay each one's create under the key the stack sent it with, and import into the stack "
            "only the organizations and users that come back: 'pulumi refresh --import-pending-creates'. "
            "Pending creates that made nothing are cleared. Nothing is imported that the stack cannot "
            "prove it made; those are listed with their id and the way to adopt them. Run it in the project "
            "directory, with the environment 'pulumi up' uses (backend, passphrase)."
        ),
    )
    recover.add_argument("--stack", required=True, help="the stack whose pending creates to resolve")
    recover.add_argument("--cwd", metavar="DIR", help="the Pulumi project directory (default: here)")
    recover.add_argument(
        "--cancel",
        action="store_true",
        help="first end the killed run's lock ('pulumi cancel'): only when no run of the stack is alive",
    )
    recover.add_argument(
        "--dry-run", action="store_true", help="only print what would be repaired, imported or cleared"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The client's retries log through stamina; without this, Python's last-resort handler prints them raw.
    logging.getLogger("stamina").addHandler(logging.NullHandler())
    try:
        return _recover(args) if args.command == "recover" else _generate(args)
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1


def _settings(deployment_url: str | None) -> Settings:
    """Settings from the environment and --deployment-url; a bad value is named, never echoed (a URL may
    carry a password)."""
    problem = deployment_url_problem(deployment_url) if deployment_url is not None else None
    if problem:
        raise CommandError(f"--deployment-url {problem}")
    try:
        settings = resolve_settings(lambda key: deployment_url if key == "deploymentUrl" else None)
    except PolytomicError as error:
        raise CommandError(str(error)) from None
    if settings.partner_key is None:
        raise CommandError(
            f"no partner key: set the {ENV_PARTNER_KEY} environment variable (keys are never taken as "
            f"arguments, which shell history and process listings would keep)"
        )
    return settings


def _fetch(settings: Settings) -> tuple[list[Organization], str | None]:
    """Every organization, and the id of the partner's owner organization, as the API spells it."""
    with PolytomicClient(settings) as client:
        try:
            organizations = client.list_organizations()
        except PolytomicError as error:
            hint = hint_for(error, settings.deployment_url, "list organizations", key_from=ENV_PARTNER_KEY)
            raise CommandError(f"listing organizations failed: {hint}") from None
        try:
            owner_id: str | None = client.current_organization().id
        except ApiError:
            # The documented list order puts the owner organization first.
            owner_id = organizations[0].id if organizations else None
        except PolytomicError as error:
            raise CommandError(f"finding the partner's owner organization failed: {error}") from None
    return organizations, owner_id


def _fetch_users(settings: Settings, organization_ids: Sequence[str]) -> dict[str, list[User]]:
    """The users of each of these organizations, by organization id."""
    users: dict[str, list[User]] = {}
    with PolytomicClient(settings) as client:
        for organization_id in organization_ids:
            try:
                users[organization_id] = client.list_users(organization_id)
            except PolytomicError as error:
                hint = hint_for(error, settings.deployment_url, "list users", key_from=ENV_PARTNER_KEY)
                raise CommandError(
                    f"listing the users of organization {organization_id} failed: {hint}"
                ) from None
    return users


def _generate(args: argparse.Namespace) -> int:
    output: Path | None = args.output
    if output is not None and output.exists() and not args.force:
        raise CommandError(f"{output} exists: choose another file, or add --force to overwrite it")
    settings = _settings(args.deployment_url)
    organizations, owner_id = _fetch(settings)
    needle = (args.name_filter or "").casefold()
    selected = [o for o in organizations if needle in o.name.casefold()]
    declarations, skipped_owner = plan_declarations(
        selected,
        owner_id=owner_id,
        include_owner=args.include_owner,
        retain_on_delete=args.retain_on_delete,
    )
    declarations = with_users(declarations, _fetch_users(settings, [d.organization.id for d in declarations]))
    program = render_program(
        declarations, skipped_owner=skipped_owner, deployment_url=settings.deployment_url
    )
    if output is None:
        sys.stdout.write(program)
    else:
        try:
            output.write_text(program, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
    summary = f"{len(declarations)} of {len(organizations)} organizations declared"
    summary += f", with their {sum(len(d.users) for d in declarations)} users"
    if skipped_owner is not None:
        summary += " (the partner's owner organization left out: --include-owner declares it)"
    oidc = sum(1 for d in declarations if d.has_oidc)
    if oidc:
        summary += f"; {oidc} with OIDC need their client id and secret in stack config (see the docstring)"
    print(f"{PROG}: {summary}" + (f"; written to {output}" if output is not None else ""), file=sys.stderr)
    return 0


def _project_name(project_dir: Path) -> str | None:
    """The `name` of the project's Pulumi.yaml, or None when there is none to read."""
    import yaml  # a dependency of pulumi's

    try:
        spec = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) else None


def _repair_file_backend(stack: str, cwd: str | None, *, dry_run: bool) -> None:
    """Remove the stack metadata files a kill left unreadable in a `file://` backend (file_backend.py):
    until then every Pulumi command on the stack fails with `failed to load checkpoint: EOF`."""
    from . import recovery

    try:
        whoami = json.loads(recovery.run_pulumi(["whoami", "--json"], cwd))
    except (PolytomicError, ValueError) as error:
        raise CommandError(f"finding the stack's backend failed: {error}") from None
    project_dir = Path(cwd or ".")
    root = file_backend.local_root(str(whoami.get("url") or ""), project_dir.resolve())
    project = _project_name(project_dir)
    broken = file_backend.broken_metadata(root, stack, project) if root is not None else []
    for path in broken:
        if dry_run:
            print(f"{PROG}: would remove {path}: the kill left this metadata file of the stack unreadable")
            continue
        path.unlink(missing_ok=True)
        print(
            f"{PROG}: removed {path}: the kill left this metadata file of the stack unreadable (Pulumi "
            "reported 'failed to load checkpoint: EOF'); the checkpoint beside it is untouched"
        )
    if broken and dry_run:
        raise CommandError(
            "the stack cannot be read until those files are removed: run recover without --dry-run"
        )


def _by_provider(pending: list[recovery.PendingCreate]) -> dict[str, list[recovery.PendingCreate]]:
    """The pending creates per provider reference: each group was sent with one provider's settings."""
    groups: dict[str, list[recovery.PendingCreate]] = {}
    for create in pending:
        groups.setdefault(create.provider, []).append(create)
    return groups


def _recovery_settings(
    export: dict[str, Any], provider: str, from_stack_config: ConfigLookup
) -> tuple[Settings | None, str]:
    """The settings a group of pending creates was sent with, and where they come from (or None and why).

    The provider's own inputs as the state holds them, whichever provider it is: the stack's config may have
    changed since the run, and a replay sent to another account proves nothing there (the API would make a
    new organization). The default provider's settings fall back to the stack's current config only when
    the state has no record of it; an explicit one's never do."""
    from . import recovery

    name = provider.rpartition("::")[0].rpartition("::")[2] or "default"
    inputs = recovery.provider_inputs(export, provider) if provider else None
    if inputs is not None:
        # The plugin's provider has the settings as inputs; a dynamic provider's default provider holds
        # the whole stack config, namespaced.
        plugin = "::pulumi:providers:polytomic::" in provider
        prefix = "" if plugin else f"{CONFIG_NAMESPACE}:"
        lookup: ConfigLookup = lambda key: _plain_setting(inputs.get(f"{prefix}{key}"))  # noqa: E731
        source = f"provider {name!r} as the state records it"
    elif not provider or recovery.is_default_provider(provider):
        lookup, source = (
            from_stack_config,
            f"the stack's current config (provider {name!r} is not in the state)",
        )
    else:
        return None, f"its provider {name!r} is not in the stack's state"
    found, problems = check_settings(lookup)
    if found is None or found.partner_key is None:
        why = "; ".join(p.reason for p in problems) or "it has no partner key"
        return None, f"the settings of its provider {name!r} cannot be used ({why})"
    key_from = "its settings" if lookup("partnerKey") else _key_variable()
    return found, f"{source}: {found.deployment_url}, partner key from {key_from}"


def _plain_setting(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _key_variable() -> str:

    return next(
        (name for name in (ENV_PARTNER_KEY, ENV_API_KEY) if os.environ.get(name, "").strip()), "nowhere"
    )


def _recover(args: argparse.Namespace) -> int:
    from . import recovery

    stack, cwd = args.stack, args.cwd
    _repair_file_backend(stack, cwd, dry_run=args.dry_run)
    if args.cancel and args.dry_run:
        print(f"{PROG}: would run 'pulumi cancel --stack {stack} --yes' (--cancel)")
    elif args.cancel:
        try:
            recovery.run_pulumi(["cancel", "--stack", stack, "--yes"], cwd)
        except PolytomicError as error:
            raise CommandError(f"cancelling the killed run of stack {stack!r} failed: {error}") from None
        print(f"{PROG}: the stack's lock, held by the killed run, is removed ('pulumi cancel')")
    try:
        export = json.loads(recovery.run_pulumi(["stack", "export", "--stack", stack, "--show-secrets"], cwd))
        config = json.loads(
            recovery.run_pulumi(["config", "--stack", stack, "--json", "--show-secrets"], cwd)
        )
    except (PolytomicError, ValueError) as error:
        raise CommandError(f"reading stack {stack!r} failed: {error}") from None
    if not (export.get("deployment") or {}).get("pending_operations"):
        print(f"{PROG}: stack {stack!r} has no pending operations: nothing to recover")
        return 0
    unsettled = recovery.unsettled_operations(export)
    if unsettled:
        raise CommandError(
            f"stack {stack!r} has pending operations recover does not settle: {'; '.join(unsettled)}. "
            f"Settle them first (an interactive 'pulumi refresh --stack {stack}' offers a choice for each), "
            f"then run recover again; nothing was changed"
        )

    def from_stack_config(key: str) -> str | None:
        entry = config.get(f"{CONFIG_NAMESPACE}:{key}")
        return str(entry["value"]) if isinstance(entry, dict) and entry.get("value") is not None else None

    groups = [
        (group, *_recovery_settings(export, provider, from_stack_config))
        for provider, group in _by_provider(recovery.pending_creates(export)).items()
    ]
    unknown = [f"{p.urn} ({p.label}): {why}" for group, found, why in groups if not found for p in group]
    if unknown:
        # `pulumi stack import` would drop these pending creates, and with them the keys that prove them.
        raise CommandError(
            f"pending creates whose account is unknown: {'; '.join(unknown)}. Restore the provider (or its "
            f"settings) in the program and state, then run recover again; nothing was sent or changed"
        )
    for group, settings, source in groups:
        print(f"{PROG}: {len(group)} pending create(s) settled with {source}")
        assert settings is not None
        with PolytomicClient(settings) as client:
            try:  # every account answers before any create is sent again to any of them
                client.current_organization()
            except PolytomicError as error:
                raise CommandError(
                    f"{source}: the account cannot be reached ({error}); nothing was sent or changed"
                ) from None
    resolutions = []
    for group, settings, source in groups:
        assert settings is not None
        with PolytomicClient(settings) as client:
            try:
                resolutions += [recovery.resolve(client, p, replay=not args.dry_run) for p in group]
            except (PolytomicError, ValueError) as error:
                raise CommandError(f"resolving the pending creates with {source} failed: {error}") from None
    for resolution in resolutions:
        print(f"{PROG}: {resolution.describe()}")
    if any(r.outcome in recovery.BLOCKING for r in resolutions):
        raise CommandError(
            "a create is still being executed by the API; nothing was changed: run recover again"
        )
    if args.dry_run:
        print(f"{PROG}: dry run: nothing was sent to Polytomic and the stack's state was not changed")
        return 0
    imported = [r.pending.urn for r in resolutions if r.outcome is recovery.Outcome.IMPORT]
    try:
        plain_export = json.loads(recovery.run_pulumi(["stack", "export", "--stack", stack], cwd))
        settled = recovery.complete_in_state(plain_export, resolutions)
        with tempfile.TemporaryDirectory() as scratch:
            state_file = Path(scratch) / "state.json"
            state_file.write_text(json.dumps(settled), encoding="utf-8")
            recovery.run_pulumi(["stack", "import", "--stack", stack, "--file", str(state_file)], cwd)
        if imported:
            targets = [arg for urn in imported for arg in ("--target", urn)]
            recovery.run_pulumi(["refresh", "--stack", stack, "--yes", "--non-interactive", *targets], cwd)
    except (PolytomicError, ValueError) as error:
        raise CommandError(f"updating stack {stack!r} failed: {error}") from None
    blocked = [r for r in resolutions if r.outcome is recovery.Outcome.NOT_PROVABLE]
    if blocked:
        raise CommandError(
            f"{len(imported)} resource(s) put into the stack; {len(blocked)} left alone because nothing "
            f"proves they belong to it: adopt, rename or delete each as said above, then run 'pulumi up'"
        )
    print(f"{PROG}: done: run 'pulumi up --stack {stack}' to finish the interrupted update")
    return 0


if __name__ == "__main__":
    sys.exit(main())
