"""`polytomic-pulumi`: command-line tools for moving existing Polytomic organizations under Pulumi.

    POLYTOMIC_PARTNER_KEY=... polytomic-pulumi generate [--deployment-url URL] [--name-filter TEXT]
                                                        [--include-owner] [--retain-on-delete]
                                                        [--output FILE [--force]]

`generate` lists the organizations of the partner account and prints a Pulumi program (Python) that adopts
each of them. The key is read from the environment only (POLYTOMIC_PARTNER_KEY, then POLYTOMIC_API_KEY):
never from the command line, where shell history and process listings would keep it. Nothing secret is
ever printed; the program reads OIDC client ids and secrets from stack config (see codegen.py).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .client import PolytomicClient
from .codegen import plan_declarations, render_program
from .config import (
    DEFAULT_DEPLOYMENT_URL,
    ENV_API_KEY,
    ENV_DEPLOYMENT_URL,
    ENV_PARTNER_KEY,
    Settings,
    deployment_url_problem,
    resolve_settings,
)
from .errors import ApiError, Forbidden, PolytomicError, Unauthorized
from .models import Organization
from .version import __version__

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # The client's retries log through stamina; without this, Python's last-resort handler prints them raw.
    logging.getLogger("stamina").addHandler(logging.NullHandler())
    try:
        return _generate(args)
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
    """Every organization, and the id of the partner's owner organization."""
    with PolytomicClient(settings) as client:
        try:
            organizations = client.list_organizations()
        except Unauthorized as error:
            raise CommandError(
                f"{settings.deployment_url} rejected the key ({error}): check {ENV_PARTNER_KEY}"
            ) from None
        except Forbidden as error:
            raise CommandError(
                f"listing organizations needs a partner key, not an organization's API key ({error}): "
                f"set {ENV_PARTNER_KEY}"
            ) from None
        except PolytomicError as error:
            raise CommandError(f"listing organizations failed: {error}") from None
        try:
            owner_id: str | None = client.current_organization().id
        except ApiError:
            # The documented list order puts the owner organization first.
            owner_id = organizations[0].id if organizations else None
        except PolytomicError as error:
            raise CommandError(f"finding the partner's owner organization failed: {error}") from None
    return organizations, owner_id


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
    if skipped_owner is not None:
        summary += " (the partner's owner organization left out: --include-owner declares it)"
    oidc = sum(1 for d in declarations if d.has_oidc)
    if oidc:
        summary += f"; {oidc} with OIDC need their client id and secret in stack config (see the docstring)"
    print(f"{PROG}: {summary}" + (f"; written to {output}" if output is not None else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
