"""Command line: ``python -m polytomic_emulator`` (also installed as ``polytomic-emulator``).

Why flags and environment variables both exist: flags are convenient by hand, but a key on a command line
is visible to every user of the machine, so the launcher passes secrets through
POLYTOMIC_EMULATOR_PARTNER_KEY, POLYTOMIC_EMULATOR_API_KEYS and POLYTOMIC_EMULATOR_ADMIN_TOKEN instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from .settings import (
    BODY_TIMEOUT_S,
    DEFAULT_HOST,
    DEFAULT_OWNER_NAME,
    DEFAULT_PORT,
    HEADER_TIMEOUT_S,
    IDEMPOTENCY_TTL_S,
    IDLE_TIMEOUT_S,
    JOURNAL_ANONYMOUS_BACKLOG,
    JOURNAL_CAPACITY,
    JOURNAL_MAX_HEADER_BYTES,
    JOURNAL_MAX_STORED_SECRETS,
    MAX_HEAD_BYTES,
    MAX_UNAUTHENTICATED_CONNECTIONS,
    UNAUTHENTICATED_GRACE_S,
)

PROG = "polytomic-emulator"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A local emulator of the Polytomic Organizations API, for tests and demos.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port; 0 picks a free one (default %(default)s)"
    )
    parser.add_argument("--db", type=Path, help="SQLite file to keep organizations in (default: in memory)")
    parser.add_argument("--partner-key", help="partner API key (env POLYTOMIC_EMULATOR_PARTNER_KEY)")
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="org-scoped API key with its own organization; repeatable (env POLYTOMIC_EMULATOR_API_KEYS)",
    )
    parser.add_argument(
        "--admin-token", help="token for /_emulator/ routes (env POLYTOMIC_EMULATOR_ADMIN_TOKEN)"
    )
    parser.add_argument(
        "--owner-name", default=DEFAULT_OWNER_NAME, help="name of the seeded owner organization"
    )
    parser.add_argument(
        "--delete-status", type=int, choices=(200, 204), default=204, help="DELETE success status"
    )
    parser.add_argument(
        "--idempotency-ttl",
        type=float,
        default=IDEMPOTENCY_TTL_S,
        metavar="SECONDS",
        help="idempotency record lifetime",
    )
    parser.add_argument(
        "--journal-size", type=int, default=JOURNAL_CAPACITY, help="journal entries kept in memory"
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT_S,
        metavar="SECONDS",
        help="close a connection whose request head is not complete this long after it opened or after "
        "the request's first byte (default %(default)s)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=BODY_TIMEOUT_S,
        metavar="SECONDS",
        help="close a connection whose request body is not complete this long after its head "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=IDLE_TIMEOUT_S,
        metavar="SECONDS",
        help="close a keep-alive connection idle this long after a response (default %(default)s)",
    )
    parser.add_argument(
        "--max-unauthenticated-connections",
        type=int,
        default=MAX_UNAUTHENTICATED_CONNECTIONS,
        metavar="N",
        help="connections on which no request has shown a valid key or admin token yet; a new one "
        "beyond this closes the oldest of them past the grace period, silent first (default %(default)s)",
    )
    parser.add_argument(
        "--unauthenticated-grace",
        type=float,
        default=UNAUTHENTICATED_GRACE_S,
        metavar="SECONDS",
        help="an unauthenticated connection younger than this is never closed to make room for another "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--max-head-bytes",
        type=int,
        default=MAX_HEAD_BYTES,
        metavar="BYTES",
        help="answer 431 and close the connection when a request head is longer (default %(default)s)",
    )
    parser.add_argument(
        "--journal-max-header-bytes",
        type=int,
        default=JOURNAL_MAX_HEADER_BYTES,
        metavar="BYTES",
        help="header bytes journaled per entry; the rest is a note of their size (default %(default)s)",
    )
    parser.add_argument(
        "--journal-anonymous-backlog",
        type=int,
        default=JOURNAL_ANONYMOUS_BACKLOG,
        metavar="N",
        help="unauthenticated requests whose entries may wait to be written; beyond it an entry is a stub "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--journal-max-stored-secrets",
        type=int,
        default=JOURNAL_MAX_STORED_SECRETS,
        metavar="N",
        help="stored client secrets the journal redacts value by value; with more stored, every entry is "
        "withheld (default %(default)s)",
    )
    parser.add_argument(
        "--faults", metavar="JSON", help="initial fault plan, same shape as PUT /_emulator/faults"
    )
    parser.add_argument("--fault-seed", type=int, help="seed for the fault plan's random rates")
    parser.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported late so that --help is instant and argument errors need no third-party import.
    from .app import create_app
    from .faults import FaultPlan
    from .server import ConnectionLimits, bind_socket, serve
    from .settings import resolve_settings

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        plan = FaultPlan.model_validate_json(args.faults) if args.faults else None
        settings = resolve_settings(
            partner_key=args.partner_key,
            api_keys=args.api_keys,
            admin_token=args.admin_token,
            host=args.host,
            port=args.port,
            db_path=args.db,
            owner_name=args.owner_name,
            delete_status=args.delete_status,
            idempotency_ttl_s=args.idempotency_ttl,
            journal_capacity=args.journal_size,
            fault_seed=args.fault_seed,
            header_timeout_s=args.header_timeout,
            body_timeout_s=args.body_timeout,
            idle_timeout_s=args.idle_timeout,
            max_unauthenticated_connections=args.max_unauthenticated_connections,
            unauthenticated_grace_s=args.unauthenticated_grace,
            max_head_bytes=args.max_head_bytes,
            journal_max_header_bytes=args.journal_max_header_bytes,
            journal_anonymous_backlog=args.journal_anonymous_backlog,
            journal_max_stored_secrets=args.journal_max_stored_secrets,
        )
    except (ValueError, ValidationError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"{PROG}: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    app = create_app(settings, faults=plan)
    if settings.partner_key_is_default:
        print(f"No partner key given; using the development partner key: {settings.partner_key}", flush=True)
    if settings.admin_token_is_default:
        print(f"No admin token given; using the development admin token: {settings.admin_token}", flush=True)
    serve(app, sock, limits=ConnectionLimits.of(settings), log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
